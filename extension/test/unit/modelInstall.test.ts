import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseModelProgress } from '../../src/modelInstall';

test('reads the installer progress lines (cli/progress.py LineProgress)', () => {
  assert.deepEqual(parseModelProgress('  model: qwen2.5-coder-1.5b-instruct-q4_k_m.gguf 576/1065 (15.0 s)'), {
    done: 576,
    total: 1065,
  });
  assert.deepEqual(parseModelProgress('  model: qwen.gguf 1065/1065 done (28.2 s)'), { done: 1065, total: 1065 });
  assert.equal(parseModelProgress('installed Qwen2.5-Coder-1.5B-Instruct Q4_K_M in 28 s: /x.gguf'), undefined);
  assert.equal(parseModelProgress('  model: x.gguf 5/0 (1.0 s)'), undefined);
  assert.equal(parseModelProgress('  model: x.gguf 9/5 (1.0 s)'), undefined);
});
