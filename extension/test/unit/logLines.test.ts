import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LineTail, lineLevel } from '../../src/logLines';

test('reads the level of loguru and logging lines', () => {
  assert.equal(lineLevel('2026-11-25 21:00:00.123 | WARNING  | csound_assist.lsp:start:12 - slow'), 'warn');
  assert.equal(lineLevel('2026-11-25 21:00:00.123 | DEBUG    | x - y'), 'debug');
  assert.equal(lineLevel('ERROR:pygls.server:boom'), 'error');
  assert.equal(lineLevel('21:12:57 WARNING csound_assist.lsp.server: slow handler'), 'warn');
  assert.equal(lineLevel('21:12:57 DEBUG   csound_assist.lsp: x', 'error'), 'debug');
  assert.equal(lineLevel('[info] hello'), 'info');
  assert.equal(lineLevel('Traceback (most recent call last):'), 'error');
  assert.equal(lineLevel('  File "x.py", line 3', 'error'), 'error'); // continuation keeps the level
  assert.equal(lineLevel('an ERROR somewhere later in a long message'), 'info');
});

test('the tail keeps the last lines and finds the error', () => {
  const t = new LineTail(3);
  for (const l of ['a', 'ModuleNotFoundError: No module named x', 'b', 'c']) t.push(l);
  assert.equal(t.text(), 'ModuleNotFoundError: No module named x\nb\nc');
  assert.equal(t.lastError(), 'ModuleNotFoundError: No module named x');
  t.clear();
  assert.equal(t.lastError(), undefined);
});
