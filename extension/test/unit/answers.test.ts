// Arguments that reach commands from server markdown and code actions are checked, not trusted.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aiFixTarget, explainTarget, firstCodeBlock } from '../../src/answers';

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
