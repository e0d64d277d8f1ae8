import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { checkServer, expandPath, isServerSource, resolveInterpreter, venvPython } from '../../src/python';

test('the setting wins, then the managed venv, then python3', () => {
  assert.deepEqual(resolveInterpreter('${workspaceFolder}/.venv/bin/python', '/g/venv', '/ws', () => true), {
    python: '/ws/.venv/bin/python',
    source: 'setting',
  });
  assert.deepEqual(resolveInterpreter('', '/g/venv', '/ws', (p) => p === venvPython('/g/venv')), {
    python: venvPython('/g/venv'),
    source: 'managed',
  });
  assert.equal(resolveInterpreter('', '/g/venv', undefined, () => false).source, 'path');
  assert.equal(expandPath('~/py', undefined), path.join(os.homedir(), 'py'));
});

test('recognises the csound-assist source tree', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ca-src-'));
  assert.equal(isServerSource(dir), false);
  writeFileSync(path.join(dir, 'pyproject.toml'), '[project]\nname = "something-else"\n');
  assert.equal(isServerSource(dir), false);
  writeFileSync(path.join(dir, 'pyproject.toml'), '[project]\nname = "csound-assist"\n');
  assert.equal(isServerSource(dir), true);
});

test('a missing interpreter and one without the server are told apart', async () => {
  const missing = await checkServer(path.join(os.tmpdir(), 'no-such-python'));
  assert.equal(missing.ok, false);
  assert.equal(!missing.ok && missing.reason, 'noInterpreter');
  // A Python without csound_assist on its path (-I: isolated, ignores PYTHONPATH and site-packages of the user).
  const bare = mkdtempSync(path.join(os.tmpdir(), 'ca-py-'));
  const shim = path.join(bare, 'python');
  writeFileSync(shim, `#!/bin/sh\nexec python3 -I -S "$@"\n`, { mode: 0o755 });
  const r = await checkServer(shim);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && (r.reason === 'notImportable' || r.reason === 'tooOld'), JSON.stringify(r));
});
