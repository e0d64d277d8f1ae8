// Command handlers. Each is thin: gather the editor state, ask the server (or the manual), show.

import { readdir } from 'node:fs/promises';
import * as path from 'node:path';

import * as vscode from 'vscode';
import { ErrorCodes, ResponseError } from 'vscode-languageclient/node';

import { aiFixTarget, explainTarget, firstCodeBlock, type AiFixReply, type ExplainParams } from './answers';
import { AiMethods, Commands, LANGUAGE_IDS } from './constants';
import { chatPanel } from './features';
import { installServer } from './install';
import { manualPage, onlineManualUrl, wordAt } from './manual';
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

export class CommandHandlers {
  private manualFiles: { dir: string; files: string[] } | undefined;

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

  private async reindex(): Promise<void> {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Csound Assist: rebuilding the example index' },
      () => this.request<unknown>(AiMethods.reindex, {}, 'Rebuilding the example index'),
    );
    if (result !== undefined) this.log.info(`reindex: ${JSON.stringify(result)}`);
  }

  /** From the palette: the selection (or the cursor's instrument); from a hover link: its opcode. */
  private async explainSelection(target?: unknown): Promise<void> {
    let params: ExplainParams | undefined = explainTarget(target);
    if (!params) {
      const editor = csoundEditor();
      if (!editor) return;
      const uri = editor.document.uri.toString();
      params = editor.selection.isEmpty
        ? { uri, position: editor.selection.active }
        : { uri, range: { start: editor.selection.start, end: editor.selection.end } };
    }
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
