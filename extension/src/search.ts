// Searching and rebuilding the example index from the editor (`csound/search`, `csound/reindex`,
// server/csound_assist/lsp/README.md). Pure: replies arrive as `unknown` and are checked here; the
// command handlers in commands.ts only show what these functions return.

import type { IndexState } from './status';

/** One `csound/search` result. Lines are 1-based and inclusive, as the server sends them. */
export interface SearchHit {
  id: string;
  file: string;
  kind: string;
  name: string;
  startLine: number;
  endLine: number;
  score: number;
  opcodes: string[];
  text: string;
}

/** How many results the QuickPick asks for (the server allows 1–50). */
export const SEARCH_LIMIT = 20;

/** The longest query the input box pre-fills from a selection. */
const PREFILL_LIMIT = 200;

/** How a chunk kind reads in a label (server/csound_assist/retrieval/types.py, KINDS). */
const KIND_WORDS: Record<string, string> = {
  file: 'whole file',
  header: 'orchestra header',
  instr: 'instr',
  udo: 'opcode',
  score: 'score',
  ftables: 'f-tables',
  notes: 'notes',
};

/** Words the chunker lists among a chunk's opcodes that say nothing about it. */
const STRUCTURE = new Set(['instr', 'endin', 'opcode', 'endop', 'i', 'f', 'e', 's']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function line(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
}

/** The results of `csound/search`; malformed rows (no file, no line) are dropped. */
export function parseSearchResults(raw: unknown): SearchHit[] {
  if (!Array.isArray(raw)) return [];
  const hits: SearchHit[] = [];
  for (const r of raw) {
    if (!isObject(r)) continue;
    const file = str(r.file);
    const start = line(r.start_line);
    if (!file || start === undefined) continue;
    const end = Math.max(start, line(r.end_line) ?? start);
    hits.push({
      id: str(r.id) || `${file}#L${start}`,
      file,
      kind: str(r.kind),
      name: str(r.name),
      startLine: start,
      endLine: end,
      score: typeof r.score === 'number' && Number.isFinite(r.score) ? r.score : 0,
      opcodes: Array.isArray(r.opcodes) ? r.opcodes.filter((o): o is string => typeof o === 'string' && o.length > 0) : [],
      text: str(r.text),
    });
  }
  return hits;
}

/** The input box's initial query: the selection on one line, whitespace collapsed, or nothing. */
export function queryFromSelection(selection: string | undefined): string {
  const q = (selection ?? '').replace(/\s+/g, ' ').trim();
  return q.length > PREFILL_LIMIT ? q.slice(0, PREFILL_LIMIT).trimEnd() : q;
}

function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] || file;
}

/** "instr 1", "opcode Tone", "score", "whole file"… */
export function chunkTitle(hit: Pick<SearchHit, 'kind' | 'name'>): string {
  const word = KIND_WORDS[hit.kind] ?? (hit.kind || 'chunk');
  if (!hit.name || hit.kind === 'file' || hit.kind === 'header') return word;
  if (hit.kind === 'notes') return `notes for instr ${hit.name}`; // i-statements grouped by instrument
  return `${word} ${hit.name}`;
}

/** A line of code worth showing: not blank, not only a comment, not a structural line. */
function meaningful(raw: string): string | undefined {
  const text = raw
    .replace(/\/\*.*?\*\//g, '')
    .replace(/(;|\/\/).*$/, '')
    .trim();
  if (!text) return undefined;
  if (/^<\/?Cs[A-Za-z]*>$/.test(text)) return undefined; // <CsInstruments>, </CsScore>…
  if (/^(instr|opcode|endin|endop)\b/.test(text)) return undefined; // the label says which
  return text.replace(/\s+/g, ' ');
}

function words(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[a-z_][a-z0-9_]{2,}/g) ?? [])];
}

/**
 * The QuickPick's detail line: the first code line that uses a word of the query (so "moogladder"
 * shows the line with moogladder), else the first meaningful code line, else the opcodes used.
 */
export function detailLine(hit: Pick<SearchHit, 'text' | 'opcodes'>, query = ''): string {
  const lines = hit.text.split(/\r?\n/).map(meaningful).filter((l): l is string => l !== undefined);
  const wanted = words(query);
  const hasWord = (l: string): boolean => {
    const tokens = new Set(l.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
    return wanted.some((w) => tokens.has(w));
  };
  const chosen = lines.find(hasWord) ?? lines[0];
  if (chosen) return chosen.length > 160 ? `${chosen.slice(0, 159)}…` : chosen;
  const opcodes = hit.opcodes.filter((o) => !STRUCTURE.has(o));
  return opcodes.length ? `uses ${opcodes.join(', ')}` : '';
}

export interface HitItem {
  label: string;
  description: string;
  detail: string;
}

/** A QuickPick row: "file.csd · instr 1", "lines 12–30 · score 0.033", the telling code line. */
export function hitItem(hit: SearchHit, query = ''): HitItem {
  const lines = hit.startLine === hit.endLine ? `line ${hit.startLine}` : `lines ${hit.startLine}–${hit.endLine}`;
  return {
    label: `${baseName(hit.file)} · ${chunkTitle(hit)}`,
    description: `${lines} · score ${hit.score.toFixed(3)}`,
    detail: detailLine(hit, query),
  };
}

export interface LineRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/**
 * The editor range of a hit: 0-based, from the start of its first line to the end of its last,
 * clamped to the document as it is now (the file may have changed since it was indexed).
 */
export function hitRange(hit: Pick<SearchHit, 'startLine' | 'endLine'>, lineCount: number, lineLength: (line: number) => number): LineRange {
  const last = Math.max(0, lineCount - 1);
  const start = Math.min(Math.max(0, hit.startLine - 1), last);
  const end = Math.min(Math.max(start, hit.endLine - 1), last);
  return { start: { line: start, character: 0 }, end: { line: end, character: lineLength(end) } };
}

/** Where a hit's file is: absolute paths as they are, relative ones under the first workspace folder. */
export function hitPath(file: string, folder: string | undefined): string {
  if (/^([\\/]|[A-Za-z]:[\\/])/.test(file) || !folder) return file;
  return `${folder.replace(/[\\/]+$/, '')}/${file}`;
}

export interface EmptyAnswer {
  message: string;
  /** A button that runs the reindex command. */
  action?: string;
}

/** What to say when a search finds nothing, by the index's state in `csound/status`. */
export function emptySearchAnswer(
  query: string,
  index: { state: IndexState; done?: number; total?: number; message?: string } | undefined,
): EmptyAnswer {
  switch (index?.state) {
    case 'missing':
      return {
        message: 'Csound Assist: no examples found: the example index has not been built yet. Build it now (it takes a minute or two)?',
        action: 'Build Example Index',
      };
    case 'building': {
      const progress = index.total ? ` (${index.done ?? 0}/${index.total})` : '';
      return { message: `Csound Assist: no examples yet: the example index is being built${progress}. Search again when it is ready.` };
    }
    case 'error':
      return {
        message: `Csound Assist: no examples found: the example index is unavailable${index.message ? ` (${index.message})` : ''}.`,
        action: 'Rebuild Example Index',
      };
    default:
      return { message: `Csound Assist: no examples match “${query}”.` };
  }
}

/** The two ways to bring the index up to date, as the reindex command offers them. */
export const REINDEX_CHOICES: readonly { label: string; description: string; full: boolean }[] = [
  { label: 'Update (changed files only)', description: 'index new and changed files, drop deleted ones', full: false },
  { label: 'Rebuild from scratch', description: 'chunk and embed every file again', full: true },
];

/** The information message for a `csound/reindex` reply; undefined when the reply is not one. */
export function reindexSummary(raw: unknown): string | undefined {
  if (!isObject(raw)) return undefined;
  const summary = str(raw.summary).trim();
  if (summary) return `Csound Assist: example ${summary}`;
  const files = typeof raw.files === 'number' ? raw.files : undefined;
  const chunks = typeof raw.chunks === 'number' ? raw.chunks : undefined;
  if (files === undefined || chunks === undefined) return undefined;
  return `Csound Assist: example index ${raw.rebuilt === true ? 'rebuilt' : 'updated'}: ${files} files, ${chunks} chunks.`;
}

/** The notification's progress line from the `index` part of `csound/status`. */
export function indexProgress(index: { state: IndexState; done?: number; total?: number; message?: string } | undefined): string | undefined {
  if (index?.state !== 'building') return undefined;
  const counts = index.total ? ` ${index.done ?? 0}/${index.total}` : '';
  return `${index.message ?? 'indexing'}${counts}`;
}
