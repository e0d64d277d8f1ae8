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
