// The chat side panel: a webview view in the Csound Assist activity-bar container. Thin: the
// transcript, context chips and HTML are pure modules (transcript.ts, context.ts, render.ts); this
// class moves messages between them, the webview, the editor and the language server.

import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

import * as vscode from 'vscode';
import { ErrorCodes, ResponseError, type LanguageClient } from 'vscode-languageclient/node';

import type { ExplainParams } from '../answers';
import { AiMethods, AudioMethods, ClientNotifications, Commands, LANGUAGE_IDS, Notifications, Views } from '../constants';
import { parseRenderReply } from '../play';
import type { ChatPanelHost } from '../features';
import type { ServerManager } from '../server';
import { feedbackParams, newFileLanguage, parseOrigin, Throttle } from './actions';
import { buildChips, buildContext, DEFAULT_TOGGLES, type ChipToggles, type EditorSnapshot, type Severity } from './context';
import { parseFromWebview, type CodeAction, type FromWebview, type ToWebview, type Verdict } from './messages';
import { listenView, panelBlocks, renderChips, renderEntry, webviewHtml, type ListenView } from './render';
import { parseChatEvent, parseReply, Transcript, type TurnFeature } from './transcript';

/** Streamed tokens re-render the answer at most this often. */
const RENDER_MS = 60;
const CHIPS_MS = 150;
const TOGGLES_KEY = 'csoundAssist.chat.chips';
/** How long `explain` waits for VS Code to show the view before falling back to a preview. */
const VIEW_WAIT_MS = 5000;

const SEVERITY: Record<vscode.DiagnosticSeverity, Severity> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
  [vscode.DiagnosticSeverity.Information]: 'info',
  [vscode.DiagnosticSeverity.Hint]: 'hint',
};

function isCsound(doc: vscode.TextDocument): boolean {
  return (LANGUAGE_IDS as readonly string[]).includes(doc.languageId);
}

/** Editors of real documents (not the output channel or a log). */
function isEditable(editor: vscode.TextEditor | undefined): editor is vscode.TextEditor {
  return !!editor && (editor.document.uri.scheme === 'file' || editor.document.uri.scheme === 'untitled');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ChatViewProvider implements vscode.WebviewViewProvider, ChatPanelHost, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly transcript = new Transcript();
  private readonly render = new Throttle((id) => this.postEntry(id), RENDER_MS);
  private toggles: ChipToggles;
  private historyLoaded = false;
  private loadingHistory = false;
  private lastEditor: vscode.TextEditor | undefined;
  private lastCsoundEditor: vscode.TextEditor | undefined;
  private chipsTimer: NodeJS.Timeout | undefined;
  private viewWaiters: (() => void)[] = [];
  /** "Render & listen" per `turn:block`: the player under the block. */
  private readonly listens = new Map<string, ListenView>();
  private readonly listenOf = (turn: string, block: number): ListenView | undefined => this.listens.get(`${turn}:${block}`);

  constructor(
    private readonly server: ServerManager,
    private readonly log: vscode.LogOutputChannel,
    private readonly context: vscode.ExtensionContext,
  ) {
    this.toggles = { ...DEFAULT_TOGGLES, ...context.workspaceState.get<Partial<ChipToggles>>(TOGGLES_KEY, {}) };
    this.track(vscode.window.activeTextEditor);
    // The view may open before the server runs: load the saved conversation once it does.
    server.onStatus((state) => {
      if (state === 'running' && this.view) void this.loadHistory();
    });
  }

  register(): vscode.Disposable[] {
    return [
      vscode.window.registerWebviewViewProvider(Views.chat, this),
      this.server.onNotification(Notifications.chatEvent, (params) => this.onChatEvent(params)),
      vscode.commands.registerCommand(Commands.clearChat, () => this.clear()),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        this.track(e);
        this.scheduleChips();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        this.track(e.textEditor);
        this.scheduleChips();
      }),
      vscode.languages.onDidChangeDiagnostics((e) => {
        const uri = this.csoundEditor()?.document.uri.toString();
        if (uri && e.uris.some((u) => u.toString() === uri)) this.scheduleChips();
      }),
      this,
    ];
  }

  /** Reveals the view (the `Open Chat` command). */
  async open(): Promise<void> {
    await vscode.commands.executeCommand(`${Views.chat}.focus`);
  }

  /** Whether the view exists, waiting up to `ms` for VS Code to resolve it after `open()`. */
  private viewShown(ms: number): Promise<boolean> {
    if (this.view) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(!!this.view);
      };
      const timer = setTimeout(() => {
        this.viewWaiters = this.viewWaiters.filter((w) => w !== done);
        resolve(!!this.view);
      }, ms);
      this.viewWaiters.push(done);
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const waiters = this.viewWaiters;
    this.viewWaiters = [];
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'extension', 'media');
    // The renders folder: "Render & listen" WAVs and images, served to this view only.
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist, media, this.rendersDir] };
    view.webview.html = webviewHtml({
      cspSource: view.webview.cspSource,
      nonce: randomBytes(16).toString('base64url'),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'chat.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'chat.css')).toString(),
    });
    view.webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseFromWebview(raw);
      if (!message) {
        this.log.warn('chat: ignored a malformed message from the webview');
        return;
      }
      this.onMessage(message).catch((e: unknown) => {
        this.log.error(`chat: ${message.type} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        this.notice(`${message.type} failed: ${errorText(e)}`);
      });
    });
    view.onDidChangeVisibility(() => {
      if (view.visible) this.postChips();
    });
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
    for (const w of waiters) w();
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.postState();
        await this.loadHistory();
        return;
      case 'send':
        return this.send(m.text);
      case 'stop':
        this.stop();
        return;
      case 'clear':
        await this.clear();
        return;
      case 'chip':
        this.toggles = { ...this.toggles, [m.chip]: !this.toggles[m.chip] };
        await this.context.workspaceState.update(TOGGLES_KEY, this.toggles);
        this.postChips();
        return;
      case 'code':
        return this.codeAction(m.action, m.turn, m.block);
      case 'source':
        return this.openSource(m.turn, m.index);
      case 'feedback':
        return this.feedback(m.turn, m.verdict);
    }
  }

  // --- server ---------------------------------------------------------------------------------

  private notRunning(what: string): string {
    return `${what}: the language server is ${this.server.state}. Start it (Csound Assist: Restart Language Server) and try again; see Csound Assist: Show Logs.`;
  }

  /** The saved conversation of this workspace, once, when the view first opens with a server. */
  private async loadHistory(): Promise<void> {
    const client = this.server.languageClient;
    if (this.historyLoaded || this.loadingHistory || !client || this.transcript.entries.length) return;
    this.loadingHistory = true;
    try {
      const history = await client.sendRequest<unknown>(AiMethods.chatHistory, {});
      this.historyLoaded = true;
      if (this.transcript.entries.length) return; // a turn began meanwhile
      this.transcript.loadHistory(history);
      this.postState();
    } catch (e) {
      if (e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound) this.historyLoaded = true;
      this.log.warn(`chat: history not loaded: ${errorText(e)}`);
    } finally {
      this.loadingHistory = false;
    }
  }

  private async send(text: string): Promise<void> {
    if (text.trim() === '/clear') {
      if (await this.clear()) this.post({ type: 'accepted' });
      return;
    }
    await this.turn(text, 'chat', (client, id) =>
      client.sendRequest<unknown>(AiMethods.chat, { id, text, context: buildContext(this.snapshot(), this.toggles) }),
    );
  }

  /**
   * "Explain Selection" and the hover's "Explain with AI": the same turn as a chat message, asked
   * with `csound/explain` (which streams `csound/chatEvent` under the turn id like `csound/chat`).
   */
  async explain(params: ExplainParams, label: string): Promise<boolean> {
    try {
      await this.open();
    } catch (e) {
      this.log.warn(`chat: the panel did not open: ${errorText(e)}`);
      return false;
    }
    if (!(await this.viewShown(VIEW_WAIT_MS))) {
      this.log.warn('chat: the panel did not appear; explaining in a preview instead');
      return false;
    }
    await this.turn(label, 'explain', (client, id) => client.sendRequest<unknown>(AiMethods.explain, { ...params, id, title: label }));
    return true;
  }

  /**
   * One question and its streamed answer. `ask` sends the request under the answer's id; its
   * reply ends the turn. A message typed in the input (`chat`) is put back there if it fails.
   */
  private async turn(text: string, feature: TurnFeature, ask: (client: LanguageClient, id: string) => Promise<unknown>): Promise<void> {
    const typed = feature === 'chat';
    const busy = (): boolean => {
      if (this.transcript.pending) this.notice('Wait for the answer, or press Stop.');
      return !!this.transcript.pending;
    };
    if (busy()) return;
    const client = this.server.languageClient;
    if (!client) {
      this.notice(this.notRunning(typed ? 'Not sent' : 'Not explained'));
      return;
    }
    await this.loadHistory(); // the server may have come up after the view opened
    if (busy()) return; // another turn began while the history loaded
    const { user, assistant } = this.transcript.start(text, feature);
    if (typed) this.post({ type: 'accepted' });
    this.postEntry(user.id);
    this.postEntry(assistant.id);
    this.postBusy();
    try {
      this.transcript.finish(assistant.id, parseReply(await ask(client, assistant.id)));
    } catch (e) {
      const why =
        e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound
          ? `This version of the language server has no ${feature === 'chat' ? 'chat' : 'explanations'}.`
          : `The request failed: ${errorText(e)}.${typed ? ' Your message is back in the input.' : ''}`;
      this.log.warn(`chat: ${why}`);
      this.transcript.fail(assistant.id, why);
      if (typed) this.post({ type: 'restore', text });
    } finally {
      this.render.flush(assistant.id);
      this.postBusy();
    }
  }

  private onChatEvent(params: unknown): void {
    const event = parseChatEvent(params);
    const entry = event && this.transcript.apply(event);
    if (!entry) return; // a stream this panel did not start, or a finished turn
    if (event.kind === 'token') this.render.schedule(entry.id);
    else this.render.flush(entry.id);
  }

  private stop(): void {
    const pending = this.transcript.pending;
    const client = this.server.languageClient;
    if (!pending) return;
    if (!client) {
      this.transcript.fail(pending.id, 'The language server stopped.');
      this.render.flush(pending.id);
      this.postBusy();
      return;
    }
    // The turn ends when the request answers (error "stopped").
    client.sendNotification(ClientNotifications.chatCancel, { id: pending.id }).catch((e: unknown) => this.log.warn(`chatCancel: ${errorText(e)}`));
  }

  /** Forgets the conversation here and in the server; false when the server could not be told. */
  private async clear(): Promise<boolean> {
    const client = this.server.languageClient;
    if (!client) {
      this.notice(this.notRunning('Not cleared'));
      return false;
    }
    this.stop();
    await client.sendNotification(ClientNotifications.chatClear, {});
    this.transcript.clear();
    this.listens.clear();
    this.historyLoaded = true;
    this.postState();
    return true;
  }

  private async feedback(turn: string, verdict: Verdict): Promise<void> {
    const entry = this.transcript.assistant(turn);
    const client = this.server.languageClient;
    if (!entry || entry.status !== 'done') return;
    if (!client) {
      this.notice(this.notRunning('Feedback not sent'));
      return;
    }
    await client.sendNotification(ClientNotifications.feedback, feedbackParams(entry, verdict));
    entry.feedback = verdict;
    this.postEntry(entry.id);
  }

  private get rendersDir(): vscode.Uri {
    return vscode.Uri.joinPath(this.context.globalStorageUri, 'renders');
  }

  /** "Render & listen": the server's sandboxed render (short cap), then the player in the panel. */
  private async listen(turn: string, index: number, code: string): Promise<void> {
    const key = `${turn}:${index}`;
    if (this.listens.get(key)?.state === 'rendering') return;
    const client = this.server.languageClient;
    if (!client) {
      this.notice(this.notRunning('Not rendered'));
      return;
    }
    this.listens.set(key, { state: 'rendering' });
    this.postEntry(turn);
    try {
      await vscode.workspace.fs.createDirectory(this.rendersDir);
      const raw = await client.sendRequest<unknown>(AudioMethods.render, { text: code, outDir: this.rendersDir.fsPath });
      const webview = this.view?.webview;
      this.listens.set(key, listenView(parseRenderReply(raw), (file) => (webview ? webview.asWebviewUri(vscode.Uri.file(file)).toString() : '')));
    } catch (e) {
      this.log.warn(`chat: render failed: ${errorText(e)}`);
      this.listens.set(key, { state: 'error', message: `The render failed: ${errorText(e)}` });
    }
    this.postEntry(turn);
  }

  // --- editor ---------------------------------------------------------------------------------

  private track(editor: vscode.TextEditor | undefined): void {
    if (!isEditable(editor)) return;
    this.lastEditor = editor;
    if (isCsound(editor.document)) this.lastCsoundEditor = editor;
  }

  /** The editor code goes into: the active one, else the last one used if still visible. */
  private targetEditor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (isEditable(active)) return active;
    const last = this.lastEditor;
    return last && vscode.window.visibleTextEditors.includes(last) ? last : undefined;
  }

  /** The Csound editor the context chips describe. */
  private csoundEditor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (isEditable(active) && isCsound(active.document)) return active;
    const last = this.lastCsoundEditor;
    return last && !last.document.isClosed && vscode.window.visibleTextEditors.includes(last) ? last : undefined;
  }

  private snapshot(): EditorSnapshot | undefined {
    const editor = this.csoundEditor();
    if (!editor) return undefined;
    const doc = editor.document;
    const sel = editor.selection;
    // A selection ending at column 0 of a line does not include that line.
    const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
    return {
      uri: doc.uri.toString(),
      fileName: path.posix.basename(doc.uri.path) || doc.uri.toString(),
      selection: sel.isEmpty ? undefined : { text: doc.getText(sel), startLine: sel.start.line, endLine },
      diagnostics: vscode.languages
        .getDiagnostics(doc.uri)
        .map((d) => ({ line: d.range.start.line, message: d.message, severity: SEVERITY[d.severity] })),
    };
  }

  private async codeAction(action: CodeAction, turn: string, index: number): Promise<void> {
    const entry = this.transcript.assistant(turn);
    const block = entry && panelBlocks(entry)[index];
    if (!block) return;
    const code = block.code.endsWith('\n') ? block.code : `${block.code}\n`;
    if (action === 'listen') return this.listen(turn, index, block.code);
    if (action === 'copy') {
      await vscode.env.clipboard.writeText(block.code);
      vscode.window.setStatusBarMessage('Csound Assist: code copied', 2000);
      return;
    }
    if (action === 'newFile') {
      const doc = await vscode.workspace.openTextDocument({ language: newFileLanguage(block.language, block.code), content: code });
      await vscode.window.showTextDocument(doc);
      return;
    }
    const editor = this.targetEditor();
    if (!editor) {
      this.notice('Open a file in the editor first, then insert the code there.');
      return;
    }
    const ok = await editor.edit((b) => {
      if (action === 'insert') b.insert(editor.selection.active, code);
      else b.replace(editor.selection, block.code);
    });
    if (!ok) this.notice('The editor did not take the edit (is it read-only?).');
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
  }

  private async openSource(turn: string, index: number): Promise<void> {
    const source = this.transcript.assistant(turn)?.sources[index];
    const origin = source && parseOrigin(source.origin);
    if (!origin) {
      if (source) this.notice(`Cannot open ${source.origin || source.title}.`);
      return;
    }
    if (origin.kind === 'url') {
      await vscode.env.openExternal(vscode.Uri.parse(origin.url));
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const file = path.isAbsolute(origin.path) || !folder ? origin.path : path.join(folder, origin.path);
    const line = Math.max(0, origin.line - 1);
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(line, 0, line, 0), preview: true });
    } catch (e) {
      this.notice(`Cannot open ${file}: ${errorText(e)}`);
    }
  }

  // --- webview --------------------------------------------------------------------------------

  private post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  private notice(text: string): void {
    this.post({ type: 'notice', text });
  }

  private postEntry(id: string): void {
    const entry = this.transcript.get(id);
    if (entry) this.post({ type: 'entry', entry: { id, html: renderEntry(entry, this.listenOf) } });
  }

  private postBusy(): void {
    this.post({ type: 'busy', busy: !!this.transcript.pending });
  }

  private chipsHtml(): string {
    return renderChips(buildChips(this.snapshot(), this.toggles));
  }

  private postChips(): void {
    this.post({ type: 'chips', html: this.chipsHtml() });
  }

  private scheduleChips(): void {
    if (!this.view?.visible || this.chipsTimer) return;
    this.chipsTimer = setTimeout(() => {
      this.chipsTimer = undefined;
      this.postChips();
    }, CHIPS_MS);
  }

  private postState(): void {
    this.post({
      type: 'state',
      entries: this.transcript.entries.map((e) => ({ id: e.id, html: renderEntry(e, this.listenOf) })),
      chips: this.chipsHtml(),
      busy: !!this.transcript.pending,
    });
  }

  dispose(): void {
    this.render.dispose();
    if (this.chipsTimer) clearTimeout(this.chipsTimer);
  }
}
