// Arguments that reach commands from server markdown and code actions are checked, not trusted.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aiFixTarget, enclosingBlock, explainLabel, explainOpcode, explainTarget, firstCodeBlock } from '../../src/answers';

test('hover link arguments become csound/explain params', () => {
  const args = [{ uri: 'file:///a.csd', position: { line: 8, character: 10 }, opcode: 'oscili' }];
  assert.deepEqual(explainTarget(args), { uri: 'file:///a.csd', position: { line: 8, character: 10 } });
});

test('malformed explain arguments are refused', () => {
  for (const bad of [undefined, null, 'x', [], [{ uri: 1 }], [{ uri: 'u', position: { line: 'a', character: 0 } }]]) {
    assert.equal(explainTarget(bad), undefined);
  }
});

test('Fix with AI arguments become csound/aiFix params', () => {
  assert.deepEqual(aiFixTarget({ uri: 'file:///a.csd', message: 'Syntax error', line: 9 }), {
    uri: 'file:///a.csd',
    message: 'Syntax error',
    line: 9,
  });
  assert.deepEqual(aiFixTarget([{ uri: 'u', message: 'm', line: 'x' }]), { uri: 'u', message: 'm', line: undefined });
  assert.equal(aiFixTarget({ uri: 'u' }), undefined);
});

test('first code block of an answer', () => {
  assert.equal(firstCodeBlock('Here:\n```csound\ninstr 1\nendin\n```\n'), 'instr 1\nendin\n');
  assert.equal(firstCodeBlock('no code'), undefined);
});

const ORC = [
  'sr = 44100', //            0
  'instr 1, Pluck ; two', //  1
  '  a1 pluck 0.5, 220, 220, 0, 1', // 2
  'endin', //                 3
  '', //                      4
  'opcode Tone, a, ak', //    5
  '  asig, kcf xin', //       6
  'endop', //                 7
];

test('the block the server explains at a line: instr, UDO, or none (the whole file)', () => {
  assert.equal(enclosingBlock(ORC, 2), 'instr 1, Pluck');
  assert.equal(enclosingBlock(ORC, 1), 'instr 1, Pluck');
  assert.equal(enclosingBlock(ORC, 3), 'instr 1, Pluck'); // on its endin
  assert.equal(enclosingBlock(ORC, 6), 'opcode Tone');
  assert.equal(enclosingBlock(ORC, 4), undefined); // after endin
  assert.equal(enclosingBlock(ORC, 0), undefined);
  assert.equal(enclosingBlock(ORC, 99), undefined); // past the end: the last line is endop
});

test('the chat turn an explanation shows', () => {
  assert.equal(explainLabel({ selection: '\n  a1 pluck 0.5, 220\n', fileName: 'a.csd' }), 'Explain:   a1 pluck 0.5, 220');
  assert.equal(explainLabel({ lines: ORC, line: 2, fileName: 'a.orc' }), 'Explain: instr 1, Pluck');
  assert.equal(explainLabel({ lines: ORC, line: 2, opcode: 'pluck', fileName: 'a.orc' }), 'Explain: pluck in instr 1, Pluck');
  assert.equal(explainLabel({ lines: ORC, line: 0, fileName: 'a.orc' }), 'Explain: a.orc');
  assert.equal(explainLabel({ fileName: 'a.orc', opcode: 'oscili' }), 'Explain: oscili in a.orc');
  const long = explainLabel({ selection: Array.from({ length: 30 }, (_, i) => `k${i} = ${i}`).join('\n'), fileName: 'a.csd' });
  assert.equal(long.split('\n').length, 13); // 12 lines and "…"
  assert.ok(long.endsWith('\n…'));
});

test("the hover link's opcode is a name or nothing", () => {
  assert.equal(explainOpcode([{ uri: 'u', position: { line: 0, character: 0 }, opcode: 'moogladder' }]), 'moogladder');
  for (const bad of [[{ opcode: '<img src=x>' }], [{ opcode: 3 }], [{}], undefined]) assert.equal(explainOpcode(bad), undefined);
});
