// Reading the AI features' markdown answers. Pure.

/** The first fenced code block of a markdown answer, else the answer if it is a bare CSD. */
export function firstCodeBlock(markdown: string): string | undefined {
  const m = /```[A-Za-z0-9_-]*\n([\s\S]*?)```/.exec(markdown);
  if (m?.[1]?.trim()) return m[1].replace(/\s+$/, '\n');
  return /^\s*<CsoundSynthesizer>/.test(markdown) ? markdown : undefined;
}

interface Position {
  line: number;
  character: number;
}

/** `csound/explain` params. */
export interface ExplainParams {
  uri: string;
  position?: Position;
  range?: { start: Position; end: Position };
}

/** `csound/aiFix` params, as the server's "Fix with AI" code action carries them. */
export interface AiFixParams {
  uri: string;
  message: string;
  line?: number;
}

/** `csound/aiFix` answer: `edit` (a WorkspaceEdit) only when the fix compiled. */
export interface AiFixReply {
  ok: boolean;
  rounds: number;
  error?: string | null;
  edit?: unknown;
}

function record(value: unknown): Record<string, unknown> | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

function isPosition(value: unknown): value is Position {
  const p = record(value);
  return !!p && Number.isInteger(p.line) && Number.isInteger(p.character);
}

/** The target of an "Explain with AI" hover link (`[{uri, position}]`), checked; else undefined. */
export function explainTarget(args: unknown): ExplainParams | undefined {
  const a = record(args);
  if (!a || typeof a.uri !== 'string' || !isPosition(a.position)) return undefined;
  return { uri: a.uri, position: { line: a.position.line, character: a.position.character } };
}

/** The arguments of the "Fix with AI" code action (`{uri, message, line}`), checked; else undefined. */
export function aiFixTarget(args: unknown): AiFixParams | undefined {
  const a = record(args);
  if (!a || typeof a.uri !== 'string' || typeof a.message !== 'string') return undefined;
  return { uri: a.uri, message: a.message, line: Number.isInteger(a.line) ? (a.line as number) : undefined };
}

/** The opcode a hover link names, if any (shown in the chat's user turn). */
export function explainOpcode(args: unknown): string | undefined {
  const a = record(args);
  return a && typeof a.opcode === 'string' && /^[A-Za-z_][\w.]{0,63}$/.test(a.opcode) ? a.opcode : undefined;
}

const LABEL_LINES = 12;
const LABEL_CHARS = 600;

/**
 * The block the server explains at `line` when nothing is selected (server `code_to_explain`):
 * "instr 1" or "opcode Name" when the line is inside one, else undefined (the whole file).
 */
export function enclosingBlock(lines: readonly string[], line: number): string | undefined {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const text = (lines[i] ?? '').replace(/;.*$/, '').trim();
    if (i < line && /^(endin|endop)\b/.test(text)) return undefined;
    const m = /^(instr|opcode)\s+([^,\s]+(?:\s*,\s*[^,\s]+)*)/.exec(text);
    if (m) return m[1] === 'opcode' ? `opcode ${m[2].split(',')[0].trim()}` : `instr ${m[2].replace(/\s*,\s*/g, ', ')}`;
  }
  return undefined;
}

/**
 * The user turn an explanation shows in the chat: "Explain: <selection>" (clipped), else the
 * instrument or UDO at the cursor (with the hovered opcode), else the file's name.
 */
export function explainLabel(o: { selection?: string; lines?: readonly string[]; line?: number; opcode?: string; fileName: string }): string {
  const selection = o.selection?.replace(/\r\n?/g, '\n').replace(/^\s*\n|\s+$/g, '');
  if (selection?.trim()) {
    let shown = selection.split('\n').slice(0, LABEL_LINES).join('\n');
    if (shown.length > LABEL_CHARS) shown = shown.slice(0, LABEL_CHARS);
    return `Explain: ${shown.length < selection.length ? `${shown.trimEnd()}\n…` : shown}`;
  }
  const block = o.lines && o.line !== undefined ? enclosingBlock(o.lines, o.line) : undefined;
  const where = block ?? o.fileName;
  return o.opcode ? `Explain: ${o.opcode} in ${where}` : `Explain: ${where}`;
}
