// Optional feature modules (the chat panel) plug in here, so commands.ts needs no import of them
// and the command says "not available yet" until one is registered.

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
