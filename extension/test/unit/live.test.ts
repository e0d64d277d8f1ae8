import assert from 'node:assert/strict';
import { test } from 'node:test';

import { blockAt, evaluation, message, outcome, outcomeLabel, sectionAt } from '../../src/live';
import { playCommand } from '../../src/play';
import { readSettings } from '../../src/settings';

const CSD = [
  '<CsoundSynthesizer>', // 0
  '<CsInstruments>',
  'sr = 44100',
  'instr 1 ; a comment with endin',
  '  a1 poscil 0.2, 440',
  '  outs a1, a1', // 5
  'endin',
  'gkTempo init 120',
  'opcode Twice, a, a',
  '  ain xin',
  '  xout ain*2', // 10
  'endop',
  '</CsInstruments>',
  '<CsScore>',
  'i 1 0 1',
  '</CsScore>', // 15
  '</CsoundSynthesizer>',
];

test('the section at a line', () => {
  assert.equal(sectionAt(CSD, 4, 'csd'), 'orchestra');
  assert.equal(sectionAt(CSD, 14, 'csd'), 'score');
  assert.equal(sectionAt(['i 1 0 1'], 0, 'sco'), 'score');
});

test('the instrument or UDO under the cursor, never half of one', () => {
  assert.deepEqual(blockAt(CSD, 5), { start: 3, end: 6 });
  assert.deepEqual(blockAt(CSD, 3), { start: 3, end: 6 });
  assert.deepEqual(blockAt(CSD, 10), { start: 8, end: 11 });
  assert.equal(blockAt(CSD, 7), undefined); // between blocks
  assert.equal(blockAt(['instr 1', '  a1 poscil 1, 1', 'instr 2', 'endin'], 1), undefined);
});

test('what Evaluate sends', () => {
  const block = evaluation(CSD, 'csd', 4);
  assert.deepEqual(block && [block.section, block.startLine, block.endLine], ['orchestra', 3, 6]);
  assert.equal(message(block!), CSD.slice(3, 7).join('\n') + '\n');
  const global = evaluation(CSD, 'csd', 7);
  assert.equal(global && message(global), 'gkTempo init 120\n');
  const score = evaluation(CSD, 'csd', 14);
  assert.equal(score && message(score), '$i 1 0 1\n');
  assert.equal(evaluation(CSD, 'csd', 12), undefined); // a section tag is not code
  const sel = evaluation(CSD, 'csd', 5, { startLine: 4, endLine: 4, text: 'a1 poscil 0.2, 440' });
  assert.deepEqual(sel, { section: 'orchestra', startLine: 4, endLine: 4, text: 'a1 poscil 0.2, 440' });
});

test("Csound's answer is placed back on the document's line", () => {
  const e = evaluation(CSD, 'csd', 4)!;
  // As Csound 6.18 prints it for the second line of a message (captured from a --port session).
  const said = 'error: syntax error, unexpected T_IDENT  (token "oscilz")\n line 2:\n >>>  a1 oscilz <<<\nParsing failed';
  const o = outcome(said, e);
  assert.deepEqual(o, { ok: false, message: 'syntax error, unexpected T_IDENT  (token "oscilz")', line: 4 });
  assert.equal(outcomeLabel(o, '127.0.0.1:10000'), '✗ line 5: syntax error, unexpected T_IDENT  (token "oscilz")');
  // Csound 6.18 named line 4 for an error on the message's second line (its parser stopped there).
  const late = 'error: syntax error, unexpected T_IDENT  (token "poscil")\n line 4:\n >>>   a1 poscil <<<\n';
  assert.equal(outcome(late, e).line, 4);
  assert.equal(outcome('error: something odd\n line 3:\n', e).line, 5);
  assert.deepEqual(outcome('  rtevent: T 2.5\n', e), { ok: true });
  assert.equal(outcomeLabel({ ok: true }, 'x'), '✓ compiled');
  assert.equal(outcomeLabel({ ok: true }, 'x', 'score'), '✓ sent to the score');
  assert.equal(outcomeLabel(undefined, '127.0.0.1:10000'), '→ sent to 127.0.0.1:10000');
});

test('a live session adds --port; the settings are checked', () => {
  assert.deepEqual(playCommand('m', '/w/a.csd', ['-odac'], ['--port=10000']).slice(-3), ['--extra', '--port=10000', '--stop-on-eof']);
  const read = (port: unknown) => readSettings((k) => (k === 'liveEval.port' ? port : undefined));
  assert.equal(read(9999).settings.liveEval.port, 9999);
  assert.equal(read(70000).settings.liveEval.port, 10000);
  assert.match(read(70000).problems[0] ?? '', /liveEval\.port/);
});
