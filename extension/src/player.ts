// Play / Stop / Render for the saved Csound file. Play runs the server's CLI (`python -m
// csound_assist play FILE`: the file's own <CsOptions> or csoundAssist.playArgs, ORC/SCO pairs
// together, Csound's messages live) in its own process group, so Stop ends csound with it. Render
// asks the server (`csound/render`, the sandboxed offline render). One output channel shows both;
// its `FILE:LINE:COL: error:` lines are links to the place.

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

import * as vscode from 'vscode';

import { AudioMethods, Commands, ContextKeys, LANGUAGE_IDS, OUTPUT_CHANNEL, SERVER_MODULE } from './constants';
import { AnsiStripper, errorLinks, parseRenderReply, playCommand, renderHeadline, renderLines, untrustedMessage } from './play';
import { resolveInterpreter } from './python';
import { currentSettings, type ServerManager } from './server';

const STOP_GRACE_MS = 1500;

export class Player implements vscode.Disposable {
  private readonly output = vscode.window.createOutputChannel(OUTPUT_CHANNEL);
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 90);
  private proc: ChildProcess | undefined;
  private stopping = false;
  private readonly outputEvents = new vscode.EventEmitter<string>();
  /** Csound's messages as they arrive (live evaluation reads what follows a message). */
  readonly onOutput = this.outputEvents.event;

  constructor(
    private readonly server: ServerManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.item.command = Commands.stop;
    this.item.tooltip = 'Stop csound (Alt+Escape)';
  }

  register(): vscode.Disposable[] {
    const guarded =
      (name: string, fn: (uri?: vscode.Uri) => Promise<void> | void) =>
      async (arg?: unknown): Promise<void> => {
        try {
          await fn(arg instanceof vscode.Uri ? arg : undefined);
        } catch (e) {
          this.log.error(`${name} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
          void vscode.window.showErrorMessage(`Csound Assist: ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      };
    return [
      this,
      vscode.commands.registerCommand(Commands.play, guarded('Play', (uri) => this.play(uri))),
      vscode.commands.registerCommand(Commands.stop, guarded('Stop', () => this.stop())),
      vscode.commands.registerCommand(Commands.render, guarded('Render', (uri) => this.render(uri, false))),
      vscode.commands.registerCommand(Commands.renderTo, guarded('Render To', (uri) => this.render(uri, true))),
      vscode.languages.registerDocumentLinkProvider({ scheme: 'output' }, { provideDocumentLinks: (doc) => outputLinks(doc) }),
    ];
  }

  /** The saved file to run: the given one or the active editor's (saved first). */
  private async target(uri: vscode.Uri | undefined, action: string): Promise<vscode.Uri | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(untrustedMessage(action));
      return undefined;
    }
    const doc = uri
      ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())
      : vscode.window.activeTextEditor?.document;
    const file = uri ?? doc?.uri;
    if (!file || file.scheme !== 'file' || (doc && !(LANGUAGE_IDS as readonly string[]).includes(doc.languageId))) {
      void vscode.window.showInformationMessage(`Csound Assist: ${action} needs a saved Csound file (.csd, .orc, .sco).`);
      return undefined;
    }
    if (doc?.isDirty && !(await doc.save())) return undefined;
    return file;
  }

  get isPlaying(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Plays the file; `extra` flags are always added (`--port=N` for a live session). */
  async play(uri?: vscode.Uri, extra: readonly string[] = []): Promise<void> {
    const file = await this.target(uri, 'Play');
    if (!file) return;
    await this.stop();
    const settings = currentSettings(this.log);
    const folder = vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath;
    const { python } = resolveInterpreter(settings.server.pythonPath, this.server.managedVenv, folder);
    const args = playCommand(SERVER_MODULE, file.fsPath, settings.playArgs, extra);
    this.output.clear();
    this.output.show(true);
    this.output.appendLine(`▶ ${path.basename(file.fsPath)}`);
    const proc = spawn(python, args, {
      cwd: path.dirname(file.fsPath),
      // Its own process group: Stop reaches csound, which the CLI started.
      detached: process.platform !== 'win32',
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      stdio: ['pipe', 'pipe', 'pipe'], // stdin stays open while we live (--stop-on-eof)
    });
    this.proc = proc;
    const strip = new AnsiStripper();
    const show = (chunk: Buffer): void => {
      const text = strip.push(chunk.toString('utf8'));
      this.output.append(text);
      this.outputEvents.fire(text);
    };
    proc.stdout?.on('data', show);
    proc.stderr?.on('data', show);
    proc.on('error', (e) => this.output.appendLine(`Could not run ${python}: ${e.message}`));
    this.stopping = false;
    proc.on('close', (code, signal) => {
      this.output.append(strip.flush());
      if (this.stopping || signal) this.output.appendLine(`■ stopped${signal ? ` (${signal})` : ''}`);
      else if (code === 2) this.output.appendLine('■ not played (see the message above)');
      if (this.proc === proc) this.playing(undefined);
    });
    this.playing(path.basename(file.fsPath));
  }

  /** Ends the running csound (its whole process group); resolves when it is gone. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (proc.pid !== undefined && process.platform !== 'win32') process.kill(-proc.pid, sig);
        else proc.kill(sig);
      } catch {
        // already gone
      }
    };
    this.stopping = true;
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
  }

  async render(uri: vscode.Uri | undefined, choose: boolean): Promise<void> {
    const file = await this.target(uri, 'Render');
    if (!file) return;
    const client = this.server.languageClient;
    if (!client) {
      void vscode.window.showWarningMessage('Csound Assist: the language server is not running; Render needs it.');
      return;
    }
    let out: string | undefined;
    if (choose) {
      const picked = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(file.fsPath.replace(/\.[^./\\]+$/, '') + '.wav'),
        filters: { 'WAV audio': ['wav'] },
      });
      if (!picked) return;
      out = picked.fsPath.toLowerCase().endsWith('.wav') ? picked.fsPath : `${picked.fsPath}.wav`;
    }
    this.output.show(true);
    this.output.appendLine(`● rendering ${path.basename(file.fsPath)} …`);
    const raw = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Rendering ${path.basename(file.fsPath)}` },
      () => client.sendRequest(AudioMethods.render, { uri: file.toString(), ...(out ? { out } : {}) }),
    );
    const reply = parseRenderReply(raw);
    if (!reply) {
      this.output.appendLine('The server gave no render result (see the Csound Assist log).');
      return;
    }
    for (const line of renderLines(reply, file.fsPath)) this.output.appendLine(line);
    const headline = `Csound Assist: ${path.basename(file.fsPath)}: ${renderHeadline(reply)}`;
    if (reply.ok) void vscode.window.showInformationMessage(headline);
    else void vscode.window.showWarningMessage(headline);
  }

  private playing(name: string | undefined): void {
    void vscode.commands.executeCommand('setContext', ContextKeys.playing, name !== undefined);
    if (name === undefined) {
      this.proc = undefined;
      this.item.hide();
      return;
    }
    this.item.text = `$(debug-stop) csound: ${name}`;
    this.item.show();
  }

  dispose(): void {
    void this.stop();
    this.item.dispose();
    this.output.dispose();
    this.outputEvents.dispose();
  }
}

/** Links on the `FILE:LINE:COL: error:` lines of any output channel that has them. */
export function outputLinks(doc: vscode.TextDocument): vscode.DocumentLink[] {
  return errorLinks(doc.getText()).map((l) => {
    const range = new vscode.Range(doc.positionAt(l.start), doc.positionAt(l.end));
    const target = vscode.Uri.file(l.file).with({ fragment: `L${l.line},${l.column}` });
    const link = new vscode.DocumentLink(range, target);
    link.tooltip = `Open ${path.basename(l.file)} at line ${l.line}`;
    return link;
  });
}
