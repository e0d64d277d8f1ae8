// Live evaluation over Csound's UDP server (`--port=N`), the protocol the official Csound
// extension uses: orchestra code is sent as is (Csound compiles it into the running
// performance), score text with a leading `$`. Pure: what to send, and what Csound answered.

export type Section = 'orchestra' | 'score';

export interface Evaluation {
  section: Section;
  /** 0-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
}

const CODE = (line: string): string => line.replace(/;.*$|\/\/.*$/, '');
const OPENS = /^\s*(instr|opcode)\b/;
const CLOSES = /^\s*(endin|endop)\b/;

/** Which section `line` is in: the score of a CSD or a .sco file, else the orchestra. */
export function sectionAt(lines: readonly string[], line: number, kind: 'csd' | 'orc' | 'sco'): Section {
  if (kind === 'sco') return 'score';
  if (kind === 'orc') return 'orchestra';
  for (let i = line; i >= 0; i--) {
    const l = lines[i] ?? '';
    if (/<CsScore\b/i.test(l)) return 'score';
    if (/<CsInstruments>|<\/CsScore>/i.test(l)) return 'orchestra';
  }
  return 'orchestra';
}

/** The instr/opcode block around `line` (its first and last line), if the line is in one. */
export function blockAt(lines: readonly string[], line: number): { start: number; end: number } | undefined {
  let start = -1;
  for (let i = line; i >= 0; i--) {
    const l = CODE(lines[i] ?? '');
    if (CLOSES.test(l) && i !== line) return undefined; // the cursor is after a block's end
    if (OPENS.test(l)) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  for (let i = Math.max(line, start + 1); i < lines.length; i++) {
    const l = CODE(lines[i] ?? '');
    if (OPENS.test(l) && i > start) return undefined; // unclosed: never send half an instrument
    if (CLOSES.test(l)) return { start, end: i };
  }
  return undefined;
}

/**
 * What Evaluate sends: the selection if there is one, else in the orchestra the instrument or
 * UDO under the cursor (or the line), in the score the line.
 */
export function evaluation(
  lines: readonly string[],
  kind: 'csd' | 'orc' | 'sco',
  cursorLine: number,
  selection?: { startLine: number; endLine: number; text: string },
): Evaluation | undefined {
  const section = sectionAt(lines, selection?.startLine ?? cursorLine, kind);
  if (selection && selection.text.trim()) return { section, ...selection };
  const block = section === 'orchestra' ? blockAt(lines, cursorLine) : undefined;
  const [startLine, endLine] = block ? [block.start, block.end] : [cursorLine, cursorLine];
  const text = lines.slice(startLine, endLine + 1).join('\n');
  if (!text.trim() || /^\s*<\/?Cs\w*/.test(text)) return undefined;
  return { section, startLine, endLine, text };
}

/** The UDP message for an evaluation. */
export function message(e: Evaluation): string {
  const body = e.text.endsWith('\n') ? e.text : `${e.text}\n`;
  return e.section === 'score' ? `$${body}` : body;
}

export interface Outcome {
  ok: boolean;
  /** 0-based document line of the error, when Csound named one. */
  line?: number;
  message?: string;
}

/**
 * What Csound printed after an evaluation (its output since the message was sent): an
 * `error:` with its `line N:` (counted in the sent text) placed back in the document, or
 * nothing, which means it compiled.
 */
export function outcome(output: string, e: Evaluation): Outcome {
  const m = /error:\s*([^\n]*)(?:\n\s*line (\d+):)?/i.exec(output);
  if (!m) return { ok: true };
  const message = (m[1] ?? '').trim();
  // Csound's line for a syntax error is where its parser stopped (often lines later), so the
  // line that holds the token it names wins; its own line number only breaks ties.
  const reported = m[2] ? Number(m[2]) - 1 : undefined;
  const token = /\(token "([^"\n]+)"\)/.exec(message)?.[1];
  const lines = e.text.split('\n');
  let at: number | undefined;
  if (token) {
    const word = new RegExp(`(^|[^\\w])${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w]|$)`);
    const hits = lines.map((l, i) => (word.test(l.replace(/;.*$/, '')) ? i : -1)).filter((i) => i >= 0);
    if (hits.length) at = hits.reduce((a, b) => (Math.abs(b - (reported ?? 0)) < Math.abs(a - (reported ?? 0)) ? b : a));
  }
  if (at === undefined && reported !== undefined && reported < lines.length) at = reported;
  return { ok: false, message, ...(at !== undefined ? { line: e.startLine + at } : {}) };
}

/** The inline text shown after an evaluation. */
export function outcomeLabel(o: Outcome | undefined, where: string, section: Section = 'orchestra'): string {
  if (!o) return `→ sent to ${where}`;
  if (o.ok) return section === 'score' ? '✓ sent to the score' : '✓ compiled';
  return `✗ ${o.line !== undefined ? `line ${o.line + 1}: ` : ''}${o.message ?? 'error'}`;
}
