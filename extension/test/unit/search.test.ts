// Search Examples and the reindex command: replies checked, QuickPick rows, target ranges, messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  chunkTitle,
  detailLine,
  emptySearchAnswer,
  hitItem,
  hitPath,
  hitRange,
  indexProgress,
  parseSearchResults,
  queryFromSelection,
  REINDEX_CHOICES,
  reindexSummary,
} from '../../src/search';

// A row as `csound/search` returns it (SearchResult.to_dict) for the manual's moogladder example.
const MOOG = {
  score: 0.032787,
  similarity: 0.61,
  keyword_score: 7.25,
  sources: ['dense', 'keyword'],
  id: '/usr/share/doc/csound-doc/html/examples/moogladder.csd#instr:1',
  file: '/usr/share/doc/csound-doc/html/examples/moogladder.csd',
  kind: 'instr',
  name: '1',
  start_line: 16,
  end_line: 24,
  opcodes: ['instr', 'expseg', 'buzz', 'line', 'moogladder', 'outs', 'endin'],
  text: 'instr 1\n\nkfe  expseg 500, p3*0.9, 1800, p3*0.1, 3000\nasig buzz  1, 100, 20, 1\nkres line .1, p3, .99\t;increase resonance\nafil moogladder asig, kfe, kres\n     outs afil, afil\n\nendin',
};

test('search results are parsed; malformed rows dropped', () => {
  const hits = parseSearchResults([MOOG, null, 'x', { file: 'a.csd' }, { file: '', start_line: 1 }, { file: 'b.orc', start_line: 5, end_line: 2, score: 'high' }]);
  assert.equal(hits.length, 2);
  assert.deepEqual(hits[0], {
    id: MOOG.id,
    file: MOOG.file,
    kind: 'instr',
    name: '1',
    startLine: 16,
    endLine: 24,
    score: 0.032787,
    opcodes: MOOG.opcodes,
    text: MOOG.text,
  });
  // An end before the start is the start; a non-numeric score is 0; the id is made up from the line.
  assert.deepEqual([hits[1].startLine, hits[1].endLine, hits[1].score, hits[1].id], [5, 5, 0, 'b.orc#L5']);
  for (const bad of [undefined, null, {}, 'moog', 3]) assert.deepEqual(parseSearchResults(bad), []);
});

test('a QuickPick row: file and chunk, lines and score, the line that uses the query', () => {
  const [hit] = parseSearchResults([MOOG]);
  assert.deepEqual(hitItem(hit, 'moogladder'), {
    label: 'moogladder.csd · instr 1',
    description: 'lines 16–24 · score 0.033',
    detail: 'afil moogladder asig, kfe, kres',
  });
  // No query word in the code: the first meaningful line (not "instr 1", not a comment).
  assert.equal(hitItem(hit, 'resonant lowpass sweep').detail, 'kfe expseg 500, p3*0.9, 1800, p3*0.1, 3000');
  assert.equal(hitItem({ ...hit, startLine: 3, endLine: 3 }).description, 'line 3 · score 0.033');
});

test('chunk titles by kind', () => {
  assert.equal(chunkTitle({ kind: 'udo', name: 'Tone' }), 'opcode Tone');
  assert.equal(chunkTitle({ kind: 'file', name: 'x' }), 'whole file');
  assert.equal(chunkTitle({ kind: 'header', name: '' }), 'orchestra header');
  assert.equal(chunkTitle({ kind: 'ftables', name: '' }), 'f-tables');
  assert.equal(chunkTitle({ kind: 'notes', name: '2' }), 'notes for instr 2');
  assert.equal(chunkTitle({ kind: 'weird', name: '' }), 'weird');
  assert.equal(chunkTitle({ kind: '', name: '' }), 'chunk');
});

test('detail: comments, tags and structure skipped; opcodes when no code line is left; long lines cut', () => {
  assert.equal(detailLine({ text: '<CsScore>\n; a comment\n/* block */ i 1 0 10 ; note\n</CsScore>', opcodes: [] }), 'i 1 0 10');
  assert.equal(detailLine({ text: 'instr 2\n;;; only comments\nendin', opcodes: ['instr', 'oscili', 'outs', 'endin'] }), 'uses oscili, outs');
  assert.equal(detailLine({ text: '', opcodes: [] }), '');
  const long = detailLine({ text: `a1 oscili ${'1, '.repeat(100)}1`, opcodes: [] });
  assert.equal(long.length, 160);
  assert.ok(long.endsWith('…'));
  // Whole words of the query only: "line" does not pick the line that uses "linseg".
  assert.equal(detailLine({ text: 'k1 linseg 0, 1, 1\nk2 line 0, 1, 1', opcodes: [] }, 'line'), 'k2 line 0, 1, 1');
});

test('target range: 0-based lines, whole lines, clamped to the document as it is now', () => {
  const len = (line: number): number => [7, 0, 40, 12, 5][line] ?? 0;
  assert.deepEqual(hitRange({ startLine: 2, endLine: 4 }, 5, len), { start: { line: 1, character: 0 }, end: { line: 3, character: 12 } });
  // The file shrank since it was indexed.
  assert.deepEqual(hitRange({ startLine: 16, endLine: 24 }, 5, len), { start: { line: 4, character: 0 }, end: { line: 4, character: 5 } });
  assert.deepEqual(hitRange({ startLine: 1, endLine: 1 }, 0, () => 0), { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
});

test('file paths: absolute kept, relative under the workspace folder', () => {
  assert.equal(hitPath('/usr/share/x.csd', '/ws'), '/usr/share/x.csd');
  assert.equal(hitPath('C:\\music\\a.csd', '/ws'), 'C:\\music\\a.csd');
  assert.equal(hitPath('songs/a.csd', '/ws/'), '/ws/songs/a.csd');
  assert.equal(hitPath('songs/a.csd', undefined), 'songs/a.csd');
});

test('the input box is pre-filled with the selection on one line', () => {
  assert.equal(queryFromSelection('  afil moogladder\n   asig, kfe\t, kres \n'), 'afil moogladder asig, kfe , kres');
  assert.equal(queryFromSelection(undefined), '');
  assert.equal(queryFromSelection('x'.repeat(500)).length, 200);
});

test('no results: build the index when it is missing, wait while it builds, rebuild when it failed', () => {
  const missing = emptySearchAnswer('moog', { state: 'missing', message: 'no example index yet' });
  assert.match(missing.message, /not been built/);
  assert.equal(missing.action, 'Build Example Index');
  const building = emptySearchAnswer('moog', { state: 'building', done: 12, total: 300, message: 'embedding' });
  assert.match(building.message, /being built \(12\/300\)/);
  assert.equal(building.action, undefined);
  const failed = emptySearchAnswer('moog', { state: 'error', message: 'disk full' });
  assert.match(failed.message, /unavailable \(disk full\)/);
  assert.equal(failed.action, 'Rebuild Example Index');
  for (const index of [undefined, { state: 'ready' as const }]) {
    const none = emptySearchAnswer('moog', index);
    assert.match(none.message, /no examples match “moog”/);
    assert.equal(none.action, undefined);
  }
});

test('reindex: update or rebuild; the summary shown; anything else is not a report', () => {
  assert.deepEqual(REINDEX_CHOICES.map((c) => [c.label, c.full]), [
    ['Update (changed files only)', false],
    ['Rebuild from scratch', true],
  ]);
  const reply = {
    summary: 'index updated: 412 files, 2051 chunks (3 changed; 40 embedded, 2011 reused) in 2.4s',
    rebuilt: false,
    files: 412,
    chunks: 2051,
  };
  assert.equal(reindexSummary(reply), 'Csound Assist: example index updated: 412 files, 2051 chunks (3 changed; 40 embedded, 2011 reused) in 2.4s');
  assert.equal(reindexSummary({ rebuilt: true, files: 3, chunks: 9 }), 'Csound Assist: example index rebuilt: 3 files, 9 chunks.');
  for (const bad of [null, undefined, {}, [], 'done', { files: 'x' }]) assert.equal(reindexSummary(bad), undefined);
});

test('progress line from the index status', () => {
  assert.equal(indexProgress({ state: 'building', done: 40, total: 412, message: 'embedding' }), 'embedding 40/412');
  assert.equal(indexProgress({ state: 'building', done: 0, total: 0, message: 'scanning files' }), 'scanning files');
  assert.equal(indexProgress({ state: 'ready', message: '412 files' }), undefined);
  assert.equal(indexProgress(undefined), undefined);
});
