// Owns the language server process: launch, debounced restarts, crash budget, status.

import { spawn } from 'node:child_process';
import * as readline from 'node:readline';

import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  State,
  Trace,
  type CloseHandlerResult,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

import {
  Commands,
  CONFIG_SECTION,
  CRASH_WINDOW_MS,
  EXTENSION_NAME,
  LANGUAGE_IDS,
  MAX_CRASH_RESTARTS,
  Notifications,
  RESTART_DEBOUNCE_MS,
  SERVER_ARGS,
  STATUS_GRACE_MS,
} from './constants';
import { LineTail, lineLevel, type LineLevel } from './logLines';
import { checkServer, resolveInterpreter } from './python';
import { readSettings, toServerConfig, type CsoundAssistSettings, type LogLevelName, type ServerConfig } from './settings';
import { parseStatus, type ClientState, type ServerStatus } from './status';

export interface StatusListener {
  (client: ClientState, server: ServerStatus): void;
}

export interface NotificationHandler {
  (params: unknown): void;
}

/** Trace level for a log level; the channel's own level (Developer: Set Log Level) can raise it. */
export function traceFor(level: LogLevelName, channelLevel: vscode.LogLevel): Trace {
  if (level === 'trace' || channelLevel === vscode.LogLevel.Trace) return Trace.Verbose;
  if (level === 'debug' || channelLevel === vscode.LogLevel.Debug) return Trace.Messages;
  return Trace.Off;
}

export function currentSettings(log: vscode.LogOutputChannel): CsoundAssistSettings {
  const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const { settings, problems } = readSettings((key) => cfg.get(key));
  for (const p of problems) log.warn(p);
  return settings;
}

/**
 * The configuration the server gets (initializationOptions, workspace/configuration and
 * didChangeConfiguration): the settings the user set, in the server's own section names. In an
 * untrusted workspace the values that could run or send code are pinned to the user's settings (VS
 * Code already ignores workspace values of restricted settings), overriding any the workspace's
 * .csound-assist.toml sets, and Csound's init pass (deep check) stays off.
 */
export function serverConfig(log: vscode.LogOutputChannel): ServerConfig {
  const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const settings = currentSettings(log);
  const trusted = vscode.workspace.isTrusted;
  const isSet = (key: string): boolean => {
    const i = cfg.inspect(key);
    if (!i) return false;
    if (i.globalValue !== undefined) return true;
    return trusted && (i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
  };
  const out = toServerConfig(settings, isSet);
  if (!trusted) {
    out.csound = { ...out.csound, executable: settings.csound.executable, deepCheck: false };
    out.model = { ...out.model, host: settings.model.ollamaHost };
  }
  return out;
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientState: ClientState = 'stopped';
  private serverStatus: ServerStatus = {};
  private readonly listeners: StatusListener[] = [];
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  private readonly crashes: number[] = [];
  private readonly stderrTail = new LineTail(60);
  private restartTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private notInstalledPrompted = false;
  private failureReported = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      log.onDidChangeLogLevel(() => this.applyTrace()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log.info('Workspace trusted: restarting the server with the compiler check on');
        this.scheduleRestart('workspace trust granted');
      }),
    );
  }

  /** The managed environment created by "Install Language Server". */
  get managedVenv(): string {
    return vscode.Uri.joinPath(this.context.globalStorageUri, 'server-venv').fsPath;
  }

  get state(): ClientState {
    return this.clientState;
  }

  get status(): ServerStatus {
    return this.serverStatus;
  }

  get languageClient(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /** Commands the running server implements (`executeCommandProvider.commands`). */
  serverCommands(): readonly string[] {
    return this.languageClient?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  }

  onStatus(listener: StatusListener): vscode.Disposable {
    this.listeners.push(listener);
    return new vscode.Disposable(() => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    });
  }

  /**
   * Subscribes to a server notification on the running client and on every later one (a restart
   * makes a new LanguageClient, so subscribing once on the current client would go deaf).
   */
  onNotification(method: string, handler: NotificationHandler): vscode.Disposable {
    let set = this.handlers.get(method);
    if (!set) {
      set = new Set();
      this.handlers.set(method, set);
      if (this.client) this.subscribe(this.client, method);
    }
    set.add(handler);
    return new vscode.Disposable(() => set.delete(handler));
  }

  private subscribe(client: LanguageClient, method: string): void {
    client.onNotification(method, (params: unknown) => {
      for (const h of this.handlers.get(method) ?? []) {
        try {
          h(params);
        } catch (e) {
          this.log.error(`${method} handler failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        }
      }
    });
  }

  /** The last lines the server wrote to stderr, for crash reports. */
  recentLog(): string {
    return this.stderrTail.text();
  }

  private setState(state: ClientState, status?: ServerStatus): void {
    this.clientState = state;
    if (status) this.serverStatus = status;
    for (const l of [...this.listeners]) {
      try {
        l(this.clientState, this.serverStatus);
      } catch (e) {
        this.log.error(`status listener failed: ${String(e)}`);
      }
    }
  }

  /** Starts the server; never throws (failures are logged and shown). */
  start(): Promise<void> {
    if (!this.starting) {
      this.starting = this.doStart()
        .catch((e: unknown) => {
          this.log.error(`Starting the language server failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
          this.setState('crashed');
          // The server's own last words say more than the broken pipe the client saw.
          const why = this.stderrTail.lastError() ?? (e instanceof Error ? e.message : String(e));
          void this.reportFailure(`The Csound language server did not start: ${why}`);
        })
        .finally(() => {
          this.starting = undefined;
        });
    }
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const settings = currentSettings(this.log);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const { python, source } = resolveInterpreter(settings.server.pythonPath, this.managedVenv, folder);
    this.setState('starting', {});
    this.log.info(`Python for the server: ${python} (${source})`);

    const check = await checkServer(python);
    if (!check.ok) {
      this.log.error(check.detail);
      this.setState('notInstalled', {});
      void this.offerInstall(check.detail);
      return;
    }

    const trusted = vscode.workspace.isTrusted;
    if (!trusted) this.log.warn('Untrusted workspace: executable, model host and folders from user settings only; no deep check');

    const serverOptions: ServerOptions = () => {
      this.stderrTail.clear();
      const proc = spawn(python, [...SERVER_ARGS], {
        cwd: folder,
        env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      });
      // A spawn failure (interpreter gone since the check) must not become an uncaught 'error'.
      proc.on('error', (e) => this.log.error(`Could not run ${python}: ${e.message}`));
      return Promise.resolve(proc);
    };

    const clientOptions: LanguageClientOptions = {
      documentSelector: LANGUAGE_IDS.flatMap((language) => [
        { scheme: 'file', language },
        { scheme: 'untitled', language },
      ]),
      outputChannel: this.log,
      traceOutputChannel: this.log,
      // Hovers link "Explain with AI" to this one command; no other command runs from server markdown.
      markdown: { isTrusted: { enabledCommands: [Commands.explainSelection] } },
      initializationOptions: { [CONFIG_SECTION]: serverConfig(this.log) },
      middleware: {
        workspace: {
          // The server asks for section "csoundAssist" and gets it in its own terms.
          configuration: async (params, token, next) => {
            const results = await next(params, token);
            if (!Array.isArray(results)) return results;
            return params.items.map((item, i) => (item.section === CONFIG_SECTION ? serverConfig(this.log) : results[i]));
          },
        },
      },
      errorHandler: {
        error: (error, _message, count): ErrorHandlerResult => {
          this.log.error(`Connection error: ${error.message}`);
          return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
        },
        closed: (): CloseHandlerResult => this.onClosed(),
      },
      initializationFailedHandler: (error: unknown) => {
        this.log.error(`The server failed to initialise: ${String(error)}`);
        const why = this.stderrTail.lastError() ?? (error instanceof Error ? error.message : String(error));
        void this.reportFailure(`The Csound language server failed to initialise: ${why}`);
        return false;
      },
      stdioOptions: {
        // stdout is the LSP stream (the client reads it); only stderr is the server's log.
        stdout: () => undefined,
        stderr: (input, channel) => this.pipeLines(input, channel, 'info'),
      },
    };

    const client = new LanguageClient('csoundAssist', EXTENSION_NAME, serverOptions, clientOptions);
    this.client = client;
    client.onNotification(Notifications.status, (params: unknown) => {
      const parsed = parseStatus(params);
      this.log.debug(`csound/status ${JSON.stringify(params)}`);
      this.setState(this.clientState, parsed);
    });
    for (const method of this.handlers.keys()) this.subscribe(client, method);
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        this.setState('running');
        this.assumeReadyLater(client);
      } else if (e.newState === State.Starting) {
        this.setState('starting');
      }
    });

    await client.start();
    this.applyTrace();
    this.log.info(`Language server running (${python} ${SERVER_ARGS.join(' ')})`);
  }

  /** A server that never sends `csound/status` (an older one) is taken as ready after a while. */
  private assumeReadyLater(client: LanguageClient): void {
    setTimeout(() => {
      if (this.client === client && client.state === State.Running && this.serverStatus.state === undefined) {
        this.log.info('No csound/status from the server; assuming it is ready');
        this.setState('running', { state: 'ready' });
      }
    }, STATUS_GRACE_MS);
  }

  private pipeLines(input: NodeJS.ReadableStream, channel: vscode.LogOutputChannel, initial: LineLevel): void {
    let level: LineLevel = initial;
    readline
      .createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 })
      .on('line', (line: string) => {
        this.stderrTail.push(line);
        level = lineLevel(line, level);
        channel[level](line);
      });
  }

  private onClosed(): CloseHandlerResult {
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length && now - (this.crashes[0] ?? now) > CRASH_WINDOW_MS) this.crashes.shift();
    const why = this.stderrTail.lastError();
    this.log.error(`The language server exited${why ? `: ${why}` : ''}`);
    if (this.crashes.length <= MAX_CRASH_RESTARTS) {
      this.log.warn(`Restarting the server (${this.crashes.length} of ${MAX_CRASH_RESTARTS} in 3 minutes)`);
      this.serverStatus = {};
      return { action: CloseAction.Restart, handled: true };
    }
    this.setState('crashed', {});
    void this.reportFailure(
      `The Csound language server crashed ${this.crashes.length} times in 3 minutes and was not restarted${why ? `: ${why}` : '.'}`,
    );
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  private async reportFailure(message: string): Promise<void> {
    // One report per start: a crash loop ends in both the close handler and the failed start.
    if (this.failureReported) return;
    this.failureReported = true;
    const choice = await vscode.window.showErrorMessage(message, 'Show Logs', 'Restart Server');
    if (choice === 'Show Logs') this.log.show();
    else if (choice === 'Restart Server') await vscode.commands.executeCommand(Commands.restartServer);
  }

  private async offerInstall(detail: string): Promise<void> {
    if (this.notInstalledPrompted) return;
    this.notInstalledPrompted = true;
    const choice = await vscode.window.showWarningMessage(
      `Csound Assist needs its language server, the csound_assist Python package: ${detail}`,
      'Install Server',
      'Choose Interpreter',
      'Show Logs',
    );
    if (choice === 'Install Server') await vscode.commands.executeCommand(Commands.createServerEnvironment);
    else if (choice === 'Choose Interpreter')
      await vscode.commands.executeCommand('workbench.action.openSettings', 'csoundAssist.server.pythonPath');
    else if (choice === 'Show Logs') this.log.show();
  }

  /** Sends the current settings to the running server (those that need no restart). */
  pushSettings(): void {
    const client = this.languageClient;
    if (!client) return;
    client
      .sendNotification(DidChangeConfigurationNotification.type, { settings: { [CONFIG_SECTION]: serverConfig(this.log) } })
      .catch((e: unknown) => this.log.warn(`didChangeConfiguration: ${String(e)}`));
  }

  applyTrace(): void {
    const client = this.client;
    if (!client || client.state !== State.Running) return;
    const { logLevel } = currentSettings(this.log);
    client.setTrace(traceFor(logLevel, this.log.logLevel)).catch((e: unknown) => this.log.warn(`setTrace: ${String(e)}`));
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        if (client.state !== State.Stopped) await client.stop(5000);
      } catch (e) {
        this.log.warn(`Stopping the server: ${String(e)}`);
      }
      try {
        await client.dispose();
      } catch {
        // already disposed
      }
    }
    this.setState('stopped', {});
  }

  /** Restarts now, resetting the crash budget (the user asked for it). */
  async restart(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.crashes.length = 0;
    this.notInstalledPrompted = false;
    this.failureReported = false;
    if (this.starting) await this.starting;
    await this.stop();
    await this.start();
  }

  /** Restarts after RESTART_DEBOUNCE_MS without further calls (settings edits come in bursts). */
  scheduleRestart(reason: string): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.log.info(`Restarting the server: ${reason}`);
      void this.restart();
    }, RESTART_DEBOUNCE_MS);
  }

  dispose(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    for (const d of this.disposables) d.dispose();
    void this.stop();
  }
}
