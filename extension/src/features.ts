// Feature modules with their own UI (the chat panel, chat/panel.ts) plug in here, so commands.ts
// needs no import of them.

import type { ExplainParams } from './answers';

export interface ChatPanelHost {
  /** Opens (or reveals) the chat panel. */
  open(): Promise<void> | void;
  /**
   * Reveals the panel and streams `csound/explain` into it as a chat turn shown as `label`.
   * False when the panel could not be shown (the caller falls back to a Markdown preview).
   */
  explain(params: ExplainParams, label: string): Promise<boolean>;
}

let panel: ChatPanelHost | undefined;

export function registerChatPanel(host: ChatPanelHost): void {
  panel = host;
}

export function chatPanel(): ChatPanelHost | undefined {
  return panel;
}
