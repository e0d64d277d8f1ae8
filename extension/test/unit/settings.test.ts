import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Settings, type SettingKey } from '../../src/constants';
import { DEFAULTS, readSettings, toServerConfig } from '../../src/settings';

const from = (values: Partial<Record<SettingKey, unknown>>) => (key: SettingKey) => values[key];

test('unset settings give the defaults without problems', () => {
  const { settings, problems } = readSettings(from({}));
  assert.deepEqual(settings, DEFAULTS);
  assert.deepEqual(problems, []);
});

test('valid values are read and trimmed', () => {
  const { settings, problems } = readSettings(
    from({
      [Settings.pythonPath]: ' /opt/py/bin/python ',
      [Settings.modelBackend]: 'llama-cpp',
      [Settings.diagnosticsRun]: 'onSave',
      [Settings.inlineCompletionDebounceMs]: 50,
      [Settings.corpusExtraFolders]: ['/a', ' ', '/b '],
      [Settings.logLevel]: 'trace',
    }),
  );
  assert.deepEqual(problems, []);
  assert.equal(settings.server.pythonPath, '/opt/py/bin/python');
  assert.equal(settings.model.backend, 'llama-cpp');
  assert.equal(settings.diagnostics.run, 'onSave');
  assert.equal(settings.inlineCompletion.debounceMs, 50);
  assert.deepEqual(settings.corpus.extraFolders, ['/a', '/b']);
  assert.equal(settings.logLevel, 'trace');
});

test('bad values are reported once each and replaced by defaults', () => {
  const { settings, problems } = readSettings(
    from({
      [Settings.modelBackend]: 'gpt',
      [Settings.inlineCompletionDebounceMs]: -5,
      [Settings.diagnosticsEnabled]: 'yes',
      [Settings.corpusExtraFolders]: '/not/a/list',
      [Settings.csoundExecutable]: '',
    }),
  );
  assert.equal(settings.model.backend, 'auto');
  assert.equal(settings.inlineCompletion.debounceMs, DEFAULTS.inlineCompletion.debounceMs);
  assert.equal(settings.diagnostics.enabled, true);
  assert.deepEqual(settings.corpus.extraFolders, []);
  assert.equal(settings.csound.executable, 'csound');
  assert.equal(problems.length, 4);
  assert.ok(problems.some((p) => /csoundAssist\.model\.backend: expected one of auto, ollama, llama-cpp, got "gpt"/.test(p)));
});

test('only the settings the user set reach the server, in its own terms', () => {
  const values = {
    [Settings.csoundExecutable]: '/opt/csound/bin/csound',
    [Settings.diagnosticsRun]: 'onSave',
    [Settings.chatModel]: '/models/tiny.gguf',
    [Settings.corpusExtraFolders]: ['/music'],
    [Settings.corpusIndexOnStart]: false,
    [Settings.logLevel]: 'debug',
  };
  const { settings } = readSettings(from(values));
  const isSet = (k: SettingKey) => k in values;
  assert.deepEqual(toServerConfig(settings, isSet), {
    csound: { executable: '/opt/csound/bin/csound' },
    editor: { diagnosticsOn: 'save' },
    model: { ggufPath: '/models/tiny.gguf' },
    rag: { examplesDirs: ['/music'], indexOnStart: false },
    logging: { level: 'DEBUG' },
  });
  // Nothing set: only the log level, so the user's TOML files keep their say.
  assert.deepEqual(toServerConfig(readSettings(from({})).settings, () => false), { logging: { level: 'INFO' } });
  const ollama = readSettings(from({ [Settings.chatModel]: 'qwen2.5-coder:7b', [Settings.completionModel]: 'qwen2.5-coder:1.5b' })).settings;
  assert.deepEqual(toServerConfig(ollama, () => true).model?.name, 'qwen2.5-coder:7b');
  assert.deepEqual(toServerConfig(ollama, () => true).model?.completionName, 'qwen2.5-coder:1.5b');
});
