// Messages between the chat webview and the extension host. Shared by both sides (no vscode, no
// DOM). The host validates everything the webview sends: the webview renders model output, so it
// is treated as untrusted even behind the CSP.

export type ChipKey = 'file' | 'selection' | 'diagnostics';
export const CHIP_KEYS: readonly ChipKey[] = ['file', 'selection', 'diagnostics'];

export type CodeAction = 'copy' | 'insert' | 'replace' | 'newFile' | 'listen';
export const CODE_ACTIONS: readonly CodeAction[] = ['copy', 'insert', 'replace', 'newFile', 'listen'];

export type Verdict = 'up' | 'down';

/** Webview → host. `turn` is an assistant entry id; `block` a code block index within it. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'clear' }
  | { type: 'chip'; chip: ChipKey }
  | { type: 'code'; action: CodeAction; turn: string; block: number }
  | { type: 'source'; turn: string; index: number }
  | { type: 'feedback'; turn: string; verdict: Verdict };

/** One rendered transcript entry: the host renders, the webview only places the HTML. */
export interface EntryHtml {
  id: string;
  html: string;
}

/** Host → webview. */
export type ToWebview =
  | { type: 'state'; entries: EntryHtml[]; chips: string; busy: boolean }
  | { type: 'entry'; entry: EntryHtml }
  | { type: 'chips'; html: string }
  | { type: 'busy'; busy: boolean }
  /** The message was taken: clear the input. */
  | { type: 'accepted' }
  /** A problem the user should read; shown as text (never HTML). */
  | { type: 'notice'; text: string }
  /** A turn failed after its text left the input: put the text back if the input is empty. */
  | { type: 'restore'; text: string };

const MAX_TEXT = 100_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && /^[\w.-]{1,100}$/.test(v);
}

function isIndex(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) < 10_000;
}

/** A webview message, checked field by field; anything malformed is undefined. */
export function parseFromWebview(raw: unknown): FromWebview | undefined {
  if (!isObject(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'stop':
    case 'clear':
      return { type: raw.type };
    case 'send':
      return typeof raw.text === 'string' && raw.text.length <= MAX_TEXT ? { type: 'send', text: raw.text } : undefined;
    case 'chip':
      return CHIP_KEYS.includes(raw.chip as ChipKey) ? { type: 'chip', chip: raw.chip as ChipKey } : undefined;
    case 'code':
      return CODE_ACTIONS.includes(raw.action as CodeAction) && isId(raw.turn) && isIndex(raw.block)
        ? { type: 'code', action: raw.action as CodeAction, turn: raw.turn, block: raw.block }
        : undefined;
    case 'source':
      return isId(raw.turn) && isIndex(raw.index) ? { type: 'source', turn: raw.turn, index: raw.index } : undefined;
    case 'feedback':
      return isId(raw.turn) && (raw.verdict === 'up' || raw.verdict === 'down')
        ? { type: 'feedback', turn: raw.turn, verdict: raw.verdict }
        : undefined;
    default:
      return undefined;
  }
}
