// Every id the extension shares with package.json or the language server lives here.
// test/unit/manifest.test.ts checks that package.json contributes exactly these.

export const EXTENSION_NAME = 'Csound Assist';

/** Language ids as the official Csound extension (csound/csound-vscode-plugin) defines them. */
export const LANGUAGE_IDS = ['csound-csd', 'csound-orc', 'csound-sco'] as const;
export type CsoundLanguageId = (typeof LANGUAGE_IDS)[number];

/** Command ids contributed in package.json. */
export const Commands = {
  restartServer: 'csoundAssist.restartServer',
  showLogs: 'csoundAssist.showLogs',
  reindex: 'csoundAssist.reindex',
  explainSelection: 'csoundAssist.explainSelection',
  fixAll: 'csoundAssist.fixAll',
  openManual: 'csoundAssist.openManual',
  generateCsd: 'csoundAssist.generateCsd',
  openChat: 'csoundAssist.openChat',
  fixWithAI: 'csoundAssist.fixWithAI',
  createServerEnvironment: 'csoundAssist.createServerEnvironment',
  statusActions: 'csoundAssist.statusActions',
  clearChat: 'csoundAssist.clearChat',
  searchExamples: 'csoundAssist.searchExamples',
  play: 'csoundAssist.play',
  stop: 'csoundAssist.stop',
  render: 'csoundAssist.render',
  renderTo: 'csoundAssist.renderTo',
  evaluate: 'csoundAssist.evaluate',
  startLiveSession: 'csoundAssist.startLiveSession',
} as const;

/** Context keys the extension sets (`when` clauses in package.json). */
export const ContextKeys = {
  /** True while Play's csound runs (Stop's keybinding and button). */
  playing: 'csoundAssist.playing',
} as const;

/** The output channel of Play and Render: Csound's own messages. */
export const OUTPUT_CHANNEL = 'Csound Assist: Csound';

/** The activity-bar container and the chat webview view inside it. */
export const Views = {
  container: 'csoundAssist',
  chat: 'csoundAssist.chat',
} as const;

/** Custom requests of the server's AI and retrieval features (server/csound_assist/lsp/README.md). */
export const AiMethods = {
  chat: 'csound/chat',
  chatHistory: 'csound/chatHistory',
  explain: 'csound/explain',
  aiFix: 'csound/aiFix',
  reindex: 'csound/reindex',
  search: 'csound/search',
} as const;

/** The sandboxed offline render (server/csound_assist/lsp/features/audio.py). */
export const AudioMethods = {
  render: 'csound/render',
} as const;

/** Notifications the client sends to the server (chat panel). */
export const ClientNotifications = {
  chatCancel: 'csound/chatCancel',
  chatClear: 'csound/chatClear',
  feedback: 'csound/feedback',
} as const;

/** Notifications sent by the server. */
export const Notifications = {
  status: 'csound/status',
  chatEvent: 'csound/chatEvent',
} as const;

/** The configuration section; every setting is `csoundAssist.<key>`. */
export const CONFIG_SECTION = 'csoundAssist';

/** Setting keys relative to CONFIG_SECTION. */
export const Settings = {
  pythonPath: 'server.pythonPath',
  csoundExecutable: 'csound.executable',
  manualPath: 'csound.manualPath',
  diagnosticsEnabled: 'diagnostics.enabled',
  diagnosticsRun: 'diagnostics.run',
  modelBackend: 'model.backend',
  ollamaHost: 'model.ollamaHost',
  chatModel: 'model.chatModel',
  completionModel: 'model.completionModel',
  embeddingModel: 'model.embeddingModel',
  inlineCompletionEnabled: 'inlineCompletion.enabled',
  inlineCompletionDebounceMs: 'inlineCompletion.debounceMs',
  corpusExtraFolders: 'corpus.extraFolders',
  corpusIndexWorkspace: 'corpus.indexWorkspace',
  corpusIndexOnStart: 'corpus.indexOnStart',
  logLevel: 'logLevel',
  playArgs: 'playArgs',
  liveHost: 'liveEval.host',
  livePort: 'liveEval.port',
} as const;
export type SettingKey = (typeof Settings)[keyof typeof Settings];

/**
 * Settings the server reads only at start-up: a change restarts it (debounced). The others reach a
 * running server through `workspace/didChangeConfiguration`.
 */
export const RESTART_SETTINGS: readonly SettingKey[] = [
  Settings.pythonPath,
  Settings.csoundExecutable,
  Settings.modelBackend,
  Settings.ollamaHost,
  Settings.chatModel,
  Settings.completionModel,
  Settings.embeddingModel,
  Settings.corpusExtraFolders,
];

/** Milliseconds to wait for more setting changes before restarting the server. */
export const RESTART_DEBOUNCE_MS = 1000;

/** The server is restarted after a crash at most this many times within CRASH_WINDOW_MS. */
export const MAX_CRASH_RESTARTS = 3;
export const CRASH_WINDOW_MS = 3 * 60 * 1000;

/** How long to wait for the first `csound/status` before taking a running server as ready. */
export const STATUS_GRACE_MS = 60_000;

/** Where the online manual lives when the local HTML manual lacks a page. */
export const ONLINE_MANUAL_URL = 'https://csound.com/docs/manual/';

/** The Python package and the server entry point. */
export const SERVER_MODULE = 'csound_assist';
export const SERVER_ARGS = ['-m', SERVER_MODULE, 'serve'] as const;
