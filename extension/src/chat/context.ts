// Context chips (current file, selection, diagnostics) and the `context` param of `csound/chat`
// built from them. Pure: the panel turns the active editor into an EditorSnapshot.

import type { ChipKey } from './messages';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface DiagnosticInfo {
  /** 0-based, as VS Code counts. */
  line: number;
  message: string;
  severity: Severity;
}

export interface EditorSnapshot {
  uri: string;
  /** The file's base name, for the chip. */
  fileName: string;
  /** The selected text; absent or empty when nothing is selected. */
  selection?: { text: string; startLine: number; endLine: number };
  diagnostics: DiagnosticInfo[];
}

export type ChipToggles = Record<ChipKey, boolean>;

export const DEFAULT_TOGGLES: Readonly<ChipToggles> = { file: true, selection: true, diagnostics: true };

export interface Chip {
  key: ChipKey;
  label: string;
  /** Tooltip: what is sent. */
  title: string;
  /** Switched on by the user (kept while unavailable). */
  on: boolean;
  /** There is something to send. */
  available: boolean;
}

/** `csound/chat` context param. */
export interface ChatContextParams {
  uri: string;
  includeFile: boolean;
  selection?: string;
  diagnostics?: string[];
}

export const MAX_DIAGNOSTICS = 20;
export const MAX_SELECTION_CHARS = 20_000;

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/** `line 12 (error): message`, 1-based as editors show it. */
export function diagnosticLine(d: DiagnosticInfo): string {
  return `line ${d.line + 1} (${d.severity}): ${d.message.replace(/\s+/g, ' ').trim()}`;
}

/** The problems the Problems panel lists: hints (faded "unused" code) are not among them. */
function problems(diagnostics: readonly DiagnosticInfo[]): DiagnosticInfo[] {
  return diagnostics.filter((d) => d.severity !== 'hint');
}

/** Errors first, then by line; at most MAX_DIAGNOSTICS; no hints. */
export function diagnosticLines(diagnostics: readonly DiagnosticInfo[]): string[] {
  return problems(diagnostics)
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.line - b.line)
    .slice(0, MAX_DIAGNOSTICS)
    .map(diagnosticLine);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function buildChips(snapshot: EditorSnapshot | undefined, toggles: ChipToggles): Chip[] {
  const sel = snapshot?.selection?.text ? snapshot.selection : undefined;
  const shown = problems(snapshot?.diagnostics ?? []);
  const errors = shown.filter((d) => d.severity === 'error').length;
  const total = shown.length;
  const lines = sel ? sel.endLine - sel.startLine + 1 : 0;
  return [
    {
      key: 'file',
      label: snapshot ? snapshot.fileName : 'No Csound file',
      title: snapshot ? `Send ${snapshot.fileName} with the question` : 'Open a Csound file to send it with the question',
      on: toggles.file,
      available: !!snapshot,
    },
    {
      key: 'selection',
      label: sel ? `Selection (${plural(lines, 'line')})` : 'No selection',
      title: sel ? `Send the selected lines ${sel.startLine + 1}–${sel.endLine + 1}` : 'Select code in the editor to send it',
      on: toggles.selection,
      available: !!sel,
    },
    {
      key: 'diagnostics',
      label: total ? `${plural(total, 'problem')}${errors ? ` (${errors} error${errors === 1 ? '' : 's'})` : ''}` : 'No problems',
      title: total ? `Send the file's problems (up to ${MAX_DIAGNOSTICS}) with their line numbers` : 'The file has no problems',
      on: toggles.diagnostics,
      available: total > 0,
    },
  ];
}

/** The context of a question: only what the chips that are on and available say. */
export function buildContext(snapshot: EditorSnapshot | undefined, toggles: ChipToggles): ChatContextParams | undefined {
  if (!snapshot) return undefined;
  const selection = toggles.selection && snapshot.selection?.text ? snapshot.selection.text.slice(0, MAX_SELECTION_CHARS) : '';
  const diagnostics = toggles.diagnostics ? diagnosticLines(snapshot.diagnostics) : [];
  if (!toggles.file && !selection && !diagnostics.length) return undefined;
  const params: ChatContextParams = { uri: snapshot.uri, includeFile: toggles.file };
  if (selection) params.selection = selection;
  if (diagnostics.length) params.diagnostics = diagnostics;
  return params;
}
