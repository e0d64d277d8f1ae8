// Finding the manual page for the word under the cursor. Pure: the caller lists the manual folder.

import { ONLINE_MANUAL_URL } from './constants';

const IDENT = /[A-Za-z_0-9.]/;

/**
 * The Csound word at `character` in `line`: an opcode, keyword, header variable (`0dbfs`) or GEN
 * name. A leading `#` (preprocessor directive) is dropped. Returns undefined on whitespace/operators.
 */
export function wordAt(line: string, character: number): string | undefined {
  let start = Math.min(Math.max(character, 0), line.length);
  let end = start;
  while (start > 0 && IDENT.test(line[start - 1] ?? '')) start--;
  while (end < line.length && IDENT.test(line[end] ?? '')) end++;
  // A dot ends a word unless it is inside a number: `vco2.a` is not a thing, `0.5` is no opcode.
  let word = line.slice(start, end);
  if (word.includes('.')) {
    const offset = character - start;
    const parts = word.split('.');
    let pos = 0;
    word = parts[parts.length - 1] ?? '';
    for (const part of parts) {
      if (offset <= pos + part.length) {
        word = part;
        break;
      }
      pos += part.length + 1;
    }
  }
  if (!word || /^[0-9.]+$/.test(word)) return undefined;
  if (!/^[A-Za-z_]/.test(word) && word.toLowerCase() !== '0dbfs') return undefined;
  return word;
}

/** Manual file names whose page name differs from the word. */
const SPECIAL_PAGES: Record<string, string> = {
  '0dbfs': 'Zerodbfs',
};

/**
 * The page for `word`: `{kind: 'local', file}` when `files` (the manual folder's entries) holds it,
 * matching case-insensitively (`gen10` → `GEN10.html`), else the online manual's URL.
 */
export function manualPage(
  word: string,
  files: readonly string[],
): { kind: 'local'; file: string } | { kind: 'online'; url: string } {
  const base = SPECIAL_PAGES[word.toLowerCase()] ?? word;
  const wanted = `${base}.html`;
  const exact = files.find((f) => f === wanted);
  const found = exact ?? files.find((f) => f.toLowerCase() === wanted.toLowerCase());
  if (found) return { kind: 'local', file: found };
  return { kind: 'online', url: onlineManualUrl(word) };
}

export function onlineManualUrl(word: string): string {
  const base = SPECIAL_PAGES[word.toLowerCase()] ?? word;
  return `${ONLINE_MANUAL_URL}${encodeURIComponent(base)}.html`;
}
