// Feature modules with their own UI (the chat panel, chat/panel.ts) plug in here, so commands.ts
// needs no import of them.

export interface ChatPanelHost {
  /** Opens (or reveals) the chat panel. */
  open(): Promise<void> | void;
}

let panel: ChatPanelHost | undefined;

export function registerChatPanel(host: ChatPanelHost): void {
  panel = host;
}

export function chatPanel(): ChatPanelHost | undefined {
  return panel;
}
