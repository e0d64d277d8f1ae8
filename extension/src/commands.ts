// Command handlers. Each is thin: gather the editor state, ask the server (or the manual), show.

import { readdir } from 'node:fs/promises';
import * as path from 'node:path';

import * as vscode from 'vscode';
import { ErrorCodes, ResponseError } from 'vscode-languageclient/node';

import { aiFixTarget, explainLabel, explainOpcode, explainTarget, firstCodeBlock, type AiFixReply, type ExplainParams } from './answers';
import { AiMethods, Commands, LANGUAGE_IDS } from './constants';
import { chatPanel } from './features';
import { installServer } from './install';
import { manualPage, onlineManualUrl, wordAt } from './manual';
import {
  emptySearchAnswer,
  hitItem,
  hitPath,
  hitRange,
  indexProgress,
  parseSearchResults,
  queryFromSelection,
  REINDEX_CHOICES,
  reindexSummary,
  SEARCH_LIMIT,
  type SearchHit,
} from './search';
import { currentSettings, type ServerManager } from './server';
import type { StatusBar } from './statusBar';

/** `csound/chat` and `csound/explain` answer (server/csound_assist/lsp/README.md, "AI protocol"). */
interface ChatReply {
  id?: string;
  answer?: string;
  error?: string | null;
}

function isCsound(doc: vscode.TextDocument): boolean {
  return (LANGUAGE_IDS as readonly string[]).includes(doc.languageId);
}

function csoundEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !isCsound(editor.document)) {
    void vscode.window.showInformationMessage('Csound Assist: open a Csound file (.csd, .orc, .sco, .udo) first.');
    return undefined;
  }
  return editor;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface HitPick extends vscode.QuickPickItem {
  hit: SearchHit;
}

export class CommandHandlers {
  private manualFiles: { dir: string; files: string[] } | undefined;
  private lastQuery = '';

  constructor(
    private readonly server: ServerManager,
    private readonly statusBar: StatusBar,
    private readonly log: vscode.LogOutputChannel,
    private readonly context: vscode.ExtensionContext,
  ) {}

  register(): vscode.Disposable[] {
    const safe =
      (name: string, fn: (...args: unknown[]) => Promise<unknown> | unknown) =>
      async (...args: unknown[]): Promise<unknown> => {
        try {
          return await fn(...args);
        } catch (e) {
          this.log.error(`${name} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
          void vscode.window.showErrorMessage(`Csound Assist: ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        }
      };
    const table: Record<string, (...args: unknown[]) => unknown> = {
      [Commands.restartServer]: () => this.server.restart(),
      [Commands.showLogs]: () => this.log.show(),
      [Commands.reindex]: () => this.reindex(),
      [Commands.searchExamples]: () => this.searchExamples(),
      [Commands.explainSelection]: (target?: unknown) => this.explainSelection(target),
      [Commands.fixWithAI]: (args?: unknown) => this.fixWithAI(args),
      [Commands.fixAll]: () => this.fixAll(),
      [Commands.openManual]: () => this.openManual(),
      [Commands.generateCsd]: () => this.generateCsd(),
      [Commands.openChat]: () => this.openChat(),
      [Commands.createServerEnvironment]: () => this.createServerEnvironment(),
      [Commands.statusActions]: () => this.statusBar.showActions(),
    };
    return Object.entries(table).map(([id, fn]) => vscode.commands.registerCommand(id, safe(id, fn)));
  }

  /**
   * Sends a custom request; a server without that method (MethodNotFound) means the feature has
   * not landed in this server version, which is said as such, not as an error.
   */
  private async request<T>(method: string, params: unknown, feature: string): Promise<T | undefined> {
    const client = this.server.languageClient;
    if (!client) {
      const choice = await vscode.window.showWarningMessage(
        `Csound Assist: ${feature} needs the language server, which is ${this.server.state}.`,
        'Show Logs',
      );
      if (choice) this.log.show();
      return undefined;
    }
    try {
      return await client.sendRequest<T>(method, params);
    } catch (e) {
      if (e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound) {
        void vscode.window.showInformationMessage(`Csound Assist: ${feature} is not available yet in this version of the language server.`);
        return undefined;
      }
      throw e;
    }
  }

  /** Update (changed files) or rebuild the example index; the reply's summary is shown. */
  private async reindex(): Promise<void> {
    const choice = await vscode.window.showQuickPick(REINDEX_CHOICES.map((c) => ({ ...c })), {
      title: 'Csound Assist: Example Index',
      placeHolder: 'Bring the index of Csound examples up to date',
    });
    if (!choice) return;
    const title = choice.full ? 'Csound Assist: rebuilding the example index' : 'Csound Assist: updating the example index';
    let reply: unknown;
    try {
      reply = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async (progress) => {
        // The server reports each stage in `csound/status` (and `$/progress` in the status bar).
        const watch = this.server.onStatus((_client, status) => {
          const message = indexProgress(status.index);
          if (message) progress.report({ message });
        });
        try {
          return await this.request<unknown>(AiMethods.reindex, { full: choice.full }, 'Rebuilding the example index');
        } finally {
          watch.dispose();
        }
      });
    } catch (e) {
      this.log.error(`reindex failed: ${errorText(e)}`);
      this.showError(`Csound Assist: the example index was not updated: ${errorText(e)}`);
      return;
    }
    if (reply === undefined) return; // no server, or one without csound/reindex: already said
    this.log.info(`reindex: ${JSON.stringify(reply)}`);
    const summary = reindexSummary(reply);
    if (summary) void vscode.window.showInformationMessage(summary);
    else this.showError('Csound Assist: the example index was not updated (the server failed; see the log).');
  }

  private showError(message: string): void {
    void vscode.window.showErrorMessage(message, 'Show Logs').then((c) => {
      if (c) this.log.show();
    });
  }

  /** Searches the example index; the chosen result opens with its chunk selected. */
  private async searchExamples(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const selected = editor && !editor.selection.isEmpty ? queryFromSelection(editor.document.getText(editor.selection)) : '';
    const initial = selected || this.lastQuery;
    const input = await vscode.window.showInputBox({
      title: 'Csound Assist: Search Examples',
      prompt: 'Words, opcodes or code, e.g. "resonant lowpass filter sweep" or "moogladder"',
      value: initial,
      valueSelection: [0, initial.length],
      ignoreFocusOut: true,
    });
    const query = input?.trim();
    if (!query) return;
    this.lastQuery = query;
    if (!this.server.languageClient) {
      await this.request<unknown>(AiMethods.search, {}, 'Search Examples'); // says why, offers the log
      return;
    }

    // The list opens at once (busy) so the search's wait is visible where its results will be.
    const pick = vscode.window.createQuickPick<HitPick>();
    pick.title = `Csound examples for “${query}”`;
    pick.placeholder = 'Searching the example index…';
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.busy = true;
    const chosen = new Promise<SearchHit | undefined>((resolve) => {
      pick.onDidAccept(() => resolve(pick.selectedItems[0]?.hit));
      pick.onDidHide(() => resolve(undefined));
    });
    pick.show();
    let hits: SearchHit[] | undefined;
    try {
      const raw = await this.request<unknown>(AiMethods.search, { query, k: SEARCH_LIMIT }, 'Search Examples');
      hits = raw === undefined ? undefined : parseSearchResults(raw);
    } catch (e) {
      pick.dispose();
      this.log.warn(`search failed: ${errorText(e)}`);
      void vscode.window.showErrorMessage(`Csound Assist: search failed: ${errorText(e)}`);
      return;
    }
    if (!hits || hits.length === 0) {
      pick.dispose();
      if (!hits) return; // a server without csound/search: already said
      const answer = emptySearchAnswer(query, this.server.status.index);
      const run = answer.action
        ? await vscode.window.showInformationMessage(answer.message, answer.action)
        : await vscode.window.showInformationMessage(answer.message);
      if (run) await vscode.commands.executeCommand(Commands.reindex);
      return;
    }
    pick.items = hits.map((hit) => ({ ...hitItem(hit, query), hit }));
    pick.placeholder = `${hits.length} result${hits.length === 1 ? '' : 's'}; choose one to open it`;
    pick.busy = false;
    const hit = await chosen;
    pick.dispose();
    if (hit) await this.openHit(hit);
  }

  private async openHit(hit: SearchHit): Promise<void> {
    const file = hitPath(hit.file, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    } catch (e) {
      void vscode.window.showWarningMessage(`Csound Assist: cannot open ${file}: ${errorText(e)}`);
      return;
    }
    const r = hitRange(hit, doc.lineCount, (line) => doc.lineAt(line).text.length);
    const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
    const editor = await vscode.window.showTextDocument(doc, { preview: true });
    // Anchored at the end, active at the start: the cursor rests on the chunk's first line.
    editor.selection = new vscode.Selection(range.end, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
  }

  /**
   * From the palette: the selection (or the cursor's instrument); from a hover link: its opcode.
   * The answer streams into the chat panel; a Markdown preview only if the panel cannot be shown.
   */
  private async explainSelection(target?: unknown): Promise<void> {
    let params: ExplainParams | undefined = explainTarget(target);
    let label: string;
    if (params) {
      const { uri, position } = params;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      label = explainLabel({
        lines: doc?.getText().split(/\r?\n/),
        line: position?.line,
        opcode: explainOpcode(target),
        fileName: path.posix.basename(vscode.Uri.parse(uri).path) || uri,
      });
    } else {
      const editor = csoundEditor();
      if (!editor) return;
      const doc = editor.document;
      const uri = doc.uri.toString();
      const sel = editor.selection;
      params = sel.isEmpty ? { uri, position: sel.active } : { uri, range: { start: sel.start, end: sel.end } };
      label = explainLabel({
        selection: sel.isEmpty ? undefined : doc.getText(sel),
        lines: doc.getText().split(/\r?\n/),
        line: sel.active.line,
        fileName: path.posix.basename(doc.uri.path) || uri,
      });
    }
    const panel = chatPanel();
    if (panel && (await panel.explain(params, label))) return;
    await this.explainInPreview(params);
  }

  /** The fallback when the chat panel cannot be shown: the whole answer in a Markdown preview. */
  private async explainInPreview(params: ExplainParams): Promise<void> {
    const reply = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Csound Assist: explaining…' },
      () => this.request<ChatReply | null>(AiMethods.explain, params, 'Explain Selection'),
    );
    if (!reply) return;
    if (reply.error || !reply.answer) {
      void vscode.window.showWarningMessage(`Csound Assist: no explanation: ${reply.error ?? 'the model gave no answer'}`);
      return;
    }
    const md = await vscode.workspace.openTextDocument({ language: 'markdown', content: reply.answer });
    await vscode.commands.executeCommand('markdown.showPreviewToSide', md.uri).then(undefined, async () => {
      await vscode.window.showTextDocument(md, vscode.ViewColumn.Beside);
    });
  }

  /**
   * The "Fix with AI" quick fix: the server answers with an edit only once the model's fix has
   * compiled in a scratch copy, so what is applied here has been verified.
   */
  private async fixWithAI(args?: unknown): Promise<void> {
    const client = this.server.languageClient;
    const params = aiFixTarget(args);
    if (!params || !client) return;
    const reply = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Csound Assist: asking the model for a fix and compiling it…' },
      () => this.request<AiFixReply | null>(AiMethods.aiFix, params, 'Fix with AI'),
    );
    if (!reply) return;
    if (!reply.ok || !reply.edit) {
      void vscode.window.showWarningMessage(`Csound Assist: no verified fix after ${reply.rounds} round(s): ${reply.error ?? 'the model gave none'}`);
      return;
    }
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(reply.edit as Parameters<typeof client.protocol2CodeConverter.asWorkspaceEdit>[0]);
    if (edit && !(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showWarningMessage('Csound Assist: the fix no longer applies (the file changed).');
    }
  }

  private async generateCsd(): Promise<void> {
    const description = await vscode.window.showInputBox({
      title: 'Generate a CSD',
      prompt: 'Describe the sound or piece, e.g. "a plucked string with a slow filter sweep, 10 seconds"',
      ignoreFocusOut: true,
    });
    if (!description?.trim()) return;
    const reply = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Csound Assist: generating a CSD (checked with the compiler)…' },
      () => this.request<ChatReply | null>(AiMethods.chat, { id: `generate-${Date.now()}`, text: `/generate ${description}` }, 'Generate CSD'),
    );
    if (!reply) return;
    const csd = reply.answer ? firstCodeBlock(reply.answer) : undefined;
    if (reply.error || !csd) {
      void vscode.window.showWarningMessage(`Csound Assist: no CSD generated: ${reply.error ?? 'the answer held no code'}`);
      return;
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'csound-csd', content: csd });
    await vscode.window.showTextDocument(doc);
  }

  private async openChat(): Promise<void> {
    await chatPanel()?.open();
  }

  /**
   * Applies the server's `source.fixAll` action if it has one; else the preferred quick fix of every
   * diagnostic, skipping fixes whose edits overlap one already taken.
   */
  private async fixAll(): Promise<void> {
    const editor = csoundEditor();
    if (!editor) return;
    const doc = editor.document;
    const whole = new vscode.Range(0, 0, doc.lineCount, 0);
    const fixAll =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        doc.uri,
        whole,
        vscode.CodeActionKind.SourceFixAll.value,
      )) ?? [];
    const source = fixAll.find((a) => a.kind && vscode.CodeActionKind.SourceFixAll.contains(a.kind) && (a.edit || a.command));
    if (source) {
      if (source.edit) await vscode.workspace.applyEdit(source.edit);
      if (source.command) await vscode.commands.executeCommand(source.command.command, ...(source.command.arguments ?? []));
      return;
    }

    const diagnostics = vscode.languages.getDiagnostics(doc.uri);
    if (diagnostics.length === 0) {
      void vscode.window.showInformationMessage('Csound Assist: no problems to fix in this file.');
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    const taken: vscode.Range[] = [];
    let fixed = 0;
    for (const d of diagnostics) {
      const actions =
        (await vscode.commands.executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          doc.uri,
          d.range,
          vscode.CodeActionKind.QuickFix.value,
        )) ?? [];
      const forThis = actions.filter((a) => a.edit && (!a.diagnostics || a.diagnostics.some((x) => x.range.isEqual(d.range) && x.message === d.message)));
      const choice = forThis.find((a) => a.isPreferred) ?? (forThis.length === 1 ? forThis[0] : undefined);
      const edits = choice?.edit?.get(doc.uri) ?? [];
      if (!choice || edits.length === 0) continue;
      if (edits.some((e) => taken.some((t) => t.intersection(e.range) !== undefined))) continue;
      for (const e of edits) {
        edit.replace(doc.uri, e.range, e.newText);
        taken.push(e.range);
      }
      fixed++;
    }
    if (fixed === 0) {
      void vscode.window.showInformationMessage(`Csound Assist: none of the ${diagnostics.length} problems has an automatic fix.`);
      return;
    }
    await vscode.workspace.applyEdit(edit);
    void vscode.window.showInformationMessage(`Csound Assist: fixed ${fixed} of ${diagnostics.length} problems.`);
  }

  private async openManual(): Promise<void> {
    const editor = csoundEditor();
    if (!editor) return;
    const pos = editor.selection.active;
    const selected = editor.document.getText(editor.selection).trim();
    const word = selected && !selected.includes('\n') ? selected : wordAt(editor.document.lineAt(pos.line).text, pos.character);
    if (!word) {
      void vscode.window.showInformationMessage('Csound Assist: put the cursor on an opcode to open its manual page.');
      return;
    }
    const { manualPath } = currentSettings(this.log).csound;
    const page = manualPage(word, await this.listManual(manualPath));
    // A local file opens only where the UI runs on this machine; elsewhere use the online manual.
    const local = vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName;
    const uri =
      page.kind === 'local' && local ? vscode.Uri.file(path.join(manualPath, page.file)) : vscode.Uri.parse(onlineManualUrl(word));
    this.log.info(`Manual page for ${word}: ${uri.toString()}`);
    const opened = await vscode.env.openExternal(uri);
    if (!opened) void vscode.window.showWarningMessage(`Csound Assist: could not open ${uri.toString()}`);
  }

  private async listManual(dir: string): Promise<string[]> {
    if (this.manualFiles?.dir === dir) return this.manualFiles.files;
    try {
      const files = (await readdir(dir)).filter((f) => f.endsWith('.html'));
      this.manualFiles = { dir, files };
      return files;
    } catch (e) {
      this.log.info(`No local manual at ${dir} (${String(e)}); using the online manual`);
      this.manualFiles = { dir, files: [] };
      return [];
    }
  }

  private async createServerEnvironment(): Promise<void> {
    await installServer(this.context, this.server, this.log);
  }
}
