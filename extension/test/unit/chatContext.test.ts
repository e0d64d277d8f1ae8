// Context chips and the csound/chat `context` param built from them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildChips, buildContext, DEFAULT_TOGGLES, diagnosticLines, MAX_DIAGNOSTICS, type EditorSnapshot } from '../../src/chat/context';

const snap: EditorSnapshot = {
  uri: 'file:///w/bell.csd',
  fileName: 'bell.csd',
  selection: { text: 'aSig oscili 0.3, 440', startLine: 9, endLine: 10 },
  diagnostics: [
    { line: 20, message: 'unused variable  kEnv', severity: 'warning' },
    { line: 11, message: 'syntax error, unexpected T_IDENT\n(token "moogladdr")', severity: 'error' },
  ],
};

test('everything on: uri, file, selection, diagnostics (errors first, 1-based lines)', () => {
  assert.deepEqual(buildContext(snap, DEFAULT_TOGGLES), {
    uri: 'file:///w/bell.csd',
    includeFile: true,
    selection: 'aSig oscili 0.3, 440',
    diagnostics: ['line 12 (error): syntax error, unexpected T_IDENT (token "moogladdr")', 'line 21 (warning): unused variable kEnv'],
  });
});

test('chips switched off leave their part out', () => {
  assert.deepEqual(buildContext(snap, { file: false, selection: true, diagnostics: false }), {
    uri: 'file:///w/bell.csd',
    includeFile: false,
    selection: 'aSig oscili 0.3, 440',
  });
  assert.equal(buildContext(snap, { file: false, selection: false, diagnostics: false }), undefined);
  assert.equal(buildContext(undefined, DEFAULT_TOGGLES), undefined);
});

test('no selection, no problems: only the file', () => {
  const bare = { ...snap, selection: undefined, diagnostics: [] };
  assert.deepEqual(buildContext(bare, DEFAULT_TOGGLES), { uri: snap.uri, includeFile: true });
});

test('hints (faded unused code) are not problems: neither counted nor sent', () => {
  const hinted = { ...snap, diagnostics: [...snap.diagnostics, { line: 3, message: 'aSig is never used', severity: 'hint' as const }] };
  assert.equal(buildChips(hinted, DEFAULT_TOGGLES)[2].label, '2 problems (1 error)');
  assert.equal(buildContext(hinted, DEFAULT_TOGGLES)?.diagnostics?.length, 2);
  const onlyHint = { ...snap, diagnostics: [{ line: 3, message: 'unused', severity: 'hint' as const }] };
  assert.deepEqual(buildChips(onlyHint, DEFAULT_TOGGLES)[2].available, false);
});

test('at most MAX_DIAGNOSTICS diagnostics', () => {
  const many = Array.from({ length: 50 }, (_, i) => ({ line: i, message: `m${i}`, severity: 'error' as const }));
  assert.equal(diagnosticLines(many).length, MAX_DIAGNOSTICS);
});

test('chips say what is sent and what is available', () => {
  const chips = buildChips(snap, { ...DEFAULT_TOGGLES, diagnostics: false });
  assert.deepEqual(
    chips.map((c) => [c.key, c.label, c.on, c.available]),
    [
      ['file', 'bell.csd', true, true],
      ['selection', 'Selection (2 lines)', true, true],
      ['diagnostics', '2 problems (1 error)', false, true],
    ],
  );
  const none = buildChips(undefined, DEFAULT_TOGGLES);
  assert.deepEqual(none.map((c) => [c.label, c.available]), [['No Csound file', false], ['No selection', false], ['No problems', false]]);
});
