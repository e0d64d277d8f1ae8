// Typed view of the `csoundAssist.*` settings. Pure: reads through a getter so tests need no VS Code.
// Bad values are reported once and replaced by the default (as jedi-language-server does).

import { Settings, type SettingKey } from './constants';

export type LogLevelName = 'error' | 'warning' | 'info' | 'debug' | 'trace';
export type DiagnosticsRun = 'onType' | 'onSave';
export type ModelBackend = 'auto' | 'ollama' | 'llama-cpp';
export type EmbeddingModel = 'all-minilm-l6-v2' | 'nomic-embed-text';

/** Mirrors the nesting of `workspace.getConfiguration('csoundAssist')`, which the server also receives. */
export interface CsoundAssistSettings {
  server: { pythonPath: string };
  csound: { executable: string; manualPath: string };
  diagnostics: { enabled: boolean; run: DiagnosticsRun };
  model: {
    backend: ModelBackend;
    ollamaHost: string;
    chatModel: string;
    completionModel: string;
    embeddingModel: EmbeddingModel;
  };
  inlineCompletion: { enabled: boolean; debounceMs: number };
  corpus: { extraFolders: string[]; indexWorkspace: boolean; indexOnStart: boolean };
  logLevel: LogLevelName;
  /** Play's csound flags when a file has no <CsOptions> (client only: Play runs the CLI). */
  playArgs: string[];
  /** Where Evaluate sends code: a Csound started with --port (client only). */
  liveEval: { host: string; port: number };
}

export const LOG_LEVELS: readonly LogLevelName[] = ['error', 'warning', 'info', 'debug', 'trace'];

export const DEFAULTS: CsoundAssistSettings = {
  server: { pythonPath: '' },
  csound: { executable: 'csound', manualPath: '/usr/share/doc/csound-doc/html' },
  diagnostics: { enabled: true, run: 'onType' },
  model: {
    backend: 'auto',
    ollamaHost: 'http://127.0.0.1:11434',
    chatModel: '',
    completionModel: '',
    embeddingModel: 'all-minilm-l6-v2',
  },
  inlineCompletion: { enabled: true, debounceMs: 250 },
  corpus: { extraFolders: [], indexWorkspace: true, indexOnStart: true },
  logLevel: 'info',
  playArgs: ['-odac'],
  liveEval: { host: '127.0.0.1', port: 10000 },
};

/** Returns the value of `csoundAssist.<key>`, or undefined when unset. */
export type SettingGetter = (key: SettingKey) => unknown;

export interface ReadResult {
  settings: CsoundAssistSettings;
  /** One line per rejected value, naming the setting and the expected form. */
  problems: string[];
}

export function readSettings(get: SettingGetter): ReadResult {
  const problems: string[] = [];
  const fail = (key: SettingKey, expected: string, value: unknown): void => {
    problems.push(`csoundAssist.${key}: expected ${expected}, got ${JSON.stringify(value)}; using the default`);
  };
  const str = (key: SettingKey, fallback: string): string => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') {
      fail(key, 'a string', v);
      return fallback;
    }
    return v.trim();
  };
  const bool = (key: SettingKey, fallback: boolean): boolean => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      fail(key, 'true or false', v);
      return fallback;
    }
    return v;
  };
  const oneOf = <T extends string>(key: SettingKey, allowed: readonly T[], fallback: T): T => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      fail(key, `one of ${allowed.join(', ')}`, v);
      return fallback;
    }
    return v as T;
  };
  const int = (key: SettingKey, min: number, max: number, fallback: number): number => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      fail(key, `an integer from ${min} to ${max}`, v);
      return fallback;
    }
    return v;
  };
  const strings = (key: SettingKey): string[] => {
    const v = get(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      fail(key, 'a list of folder paths', v);
      return [];
    }
    return v.map((x: string) => x.trim()).filter((x) => x.length > 0);
  };
  const flags = (key: SettingKey, fallback: readonly string[]): string[] => {
    const v = get(key);
    if (v === undefined || v === null) return [...fallback];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      fail(key, 'a list of csound flags such as ["-odac"]', v);
      return [...fallback];
    }
    return v.map((x: string) => x.trim()).filter((x) => x.length > 0);
  };

  const d = DEFAULTS;
  const settings: CsoundAssistSettings = {
    server: { pythonPath: str(Settings.pythonPath, d.server.pythonPath) },
    csound: {
      executable: str(Settings.csoundExecutable, d.csound.executable) || d.csound.executable,
      manualPath: str(Settings.manualPath, d.csound.manualPath),
    },
    diagnostics: {
      enabled: bool(Settings.diagnosticsEnabled, d.diagnostics.enabled),
      run: oneOf(Settings.diagnosticsRun, ['onType', 'onSave'] as const, d.diagnostics.run),
    },
    model: {
      backend: oneOf(Settings.modelBackend, ['auto', 'ollama', 'llama-cpp'] as const, d.model.backend),
      ollamaHost: str(Settings.ollamaHost, d.model.ollamaHost) || d.model.ollamaHost,
      chatModel: str(Settings.chatModel, d.model.chatModel),
      completionModel: str(Settings.completionModel, d.model.completionModel),
      embeddingModel: oneOf(Settings.embeddingModel, ['all-minilm-l6-v2', 'nomic-embed-text'] as const, d.model.embeddingModel),
    },
    inlineCompletion: {
      enabled: bool(Settings.inlineCompletionEnabled, d.inlineCompletion.enabled),
      debounceMs: int(Settings.inlineCompletionDebounceMs, 0, 5000, d.inlineCompletion.debounceMs),
    },
    corpus: {
      extraFolders: strings(Settings.corpusExtraFolders),
      indexWorkspace: bool(Settings.corpusIndexWorkspace, d.corpus.indexWorkspace),
      indexOnStart: bool(Settings.corpusIndexOnStart, d.corpus.indexOnStart),
    },
    logLevel: oneOf(Settings.logLevel, LOG_LEVELS, d.logLevel),
    playArgs: flags(Settings.playArgs, d.playArgs),
    liveEval: {
      host: str(Settings.liveHost, d.liveEval.host) || d.liveEval.host,
      port: int(Settings.livePort, 1, 65535, d.liveEval.port),
    },
  };
  return { settings, problems };
}

/** True when a change to any of `keys` (relative to the section) is reported by `affects`. */
export function anyAffected(keys: readonly SettingKey[], affects: (key: SettingKey) => boolean): boolean {
  return keys.some((k) => affects(k));
}

/** The server's configuration (server/csound_assist/config.py sections, camelCase keys). */
export type ServerConfig = Record<string, Record<string, unknown>>;

const SERVER_LOG_LEVELS: Record<LogLevelName, string> = {
  error: 'ERROR',
  warning: 'WARNING',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
};

/**
 * Translates the VS Code settings into the server's config sections. Only settings the user has
 * set are sent, so a value in the user's or the workspace's csound-assist TOML is not overridden by
 * a VS Code default. The log level is always sent: the output channel is where the log goes.
 */
export function toServerConfig(s: CsoundAssistSettings, isSet: (key: SettingKey) => boolean): ServerConfig {
  const out: ServerConfig = {};
  const put = (key: SettingKey, section: string, name: string, value: unknown): void => {
    if (!isSet(key)) return;
    (out[section] ??= {})[name] = value;
  };
  put(Settings.csoundExecutable, 'csound', 'executable', s.csound.executable);
  put(Settings.manualPath, 'csound', 'manualDir', s.csound.manualPath);
  put(Settings.diagnosticsEnabled, 'editor', 'diagnostics', s.diagnostics.enabled);
  put(Settings.diagnosticsRun, 'editor', 'diagnosticsOn', s.diagnostics.run === 'onSave' ? 'save' : 'type');
  put(Settings.inlineCompletionEnabled, 'editor', 'inlineCompletions', s.inlineCompletion.enabled);
  put(Settings.inlineCompletionDebounceMs, 'editor', 'inlineDebounceMs', s.inlineCompletion.debounceMs);
  put(Settings.modelBackend, 'model', 'backend', s.model.backend);
  put(Settings.ollamaHost, 'model', 'host', s.model.ollamaHost);
  // A model setting names an Ollama model, or a GGUF file for the llama.cpp backend.
  const chat = s.model.chatModel;
  if (chat) put(Settings.chatModel, 'model', /\.gguf$/i.test(chat) ? 'ggufPath' : 'name', chat);
  if (s.model.completionModel) put(Settings.completionModel, 'model', 'completionName', s.model.completionModel);
  put(Settings.embeddingModel, 'rag', 'embeddingModel', s.model.embeddingModel);
  put(Settings.corpusExtraFolders, 'rag', 'examplesDirs', s.corpus.extraFolders);
  put(Settings.corpusIndexWorkspace, 'rag', 'indexWorkspace', s.corpus.indexWorkspace);
  put(Settings.corpusIndexOnStart, 'rag', 'indexOnStart', s.corpus.indexOnStart);
  (out.logging ??= {}).level = SERVER_LOG_LEVELS[s.logLevel];
  return out;
}
