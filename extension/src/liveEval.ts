// Live evaluation: Evaluate (ctrl+enter) sends the selection, the instrument under the cursor or
// the score line to a running Csound over UDP (`--port=N`, the official extension's protocol), so
// a user's existing `--port` setup works; Start Live Session plays the file with `--port` added.
// When the running Csound is the one Play started, its answer (compiled, or the error and its
// line) shows inline after the evaluated code.

import { createSocket } from 'node:dgram';

import * as vscode from 'vscode';

import { Commands } from './constants';
import { evaluation, message, outcome, outcomeLabel, type Evaluation, type Outcome } from './live';
import { untrustedMessage } from './play';
import type { Player } from './player';
import { currentSettings } from './server';

/** How long Csound's output is watched after a message for its answer. */
const ANSWER_MS = 700;
const SHOW_MS = 6000;

function kindOf(doc: vscode.TextDocument): 'csd' | 'orc' | 'sco' {
  if (doc.languageId === 'csound-sco') return 'sco';
  return doc.languageId === 'csound-csd' ? 'csd' : 'orc';
}

export class LiveEval implements vscode.Disposable {
  private readonly flash = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    isWholeLine: true,
  });
  private readonly result = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground') },
  });
  private clearTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly player: Player,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  register(): vscode.Disposable[] {
    const guarded = (name: string, fn: () => Promise<void>) => async (): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        this.log.error(`${name} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        void vscode.window.showErrorMessage(`Csound Assist: ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    return [
      this,
      vscode.commands.registerCommand(Commands.evaluate, guarded('Evaluate', () => this.evaluate())),
      vscode.commands.registerCommand(Commands.startLiveSession, guarded('Start Live Session', () => this.startSession())),
    ];
  }

  async startSession(): Promise<void> {
    const { port } = currentSettings(this.log).liveEval;
    await this.player.play(undefined, [`--port=${port}`]);
  }

  async evaluate(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(untrustedMessage('Evaluate'));
      return;
    }
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const doc = editor.document;
    const lines = doc.getText().split(/\r?\n/);
    const sel = editor.selection;
    const e = evaluation(lines, kindOf(doc), sel.active.line, sel.isEmpty ? undefined : { startLine: sel.start.line, endLine: sel.end.line, text: doc.getText(sel) });
    if (!e) {
      vscode.window.setStatusBarMessage('Csound Assist: nothing to evaluate here', 3000);
      return;
    }
    const { host, port } = currentSettings(this.log).liveEval;
    const answer = this.player.isPlaying ? this.watch() : undefined;
    await send(message(e), host, port);
    this.show(editor, e, undefined, `${host}:${port}`);
    if (answer) this.show(editor, e, outcome(await answer, e), `${host}:${port}`);
  }

  /** Csound's output over the next ANSWER_MS. */
  private watch(): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      const sub = this.player.onOutput((chunk) => {
        text += chunk;
      });
      setTimeout(() => {
        sub.dispose();
        resolve(text);
      }, ANSWER_MS);
    });
  }

  private show(editor: vscode.TextEditor, e: Evaluation, o: Outcome | undefined, where: string): void {
    const range = new vscode.Range(e.startLine, 0, e.endLine, 0);
    editor.setDecorations(this.flash, [range]);
    const at = o?.line ?? e.endLine;
    const label = outcomeLabel(o, where, e.section);
    const end = editor.document.lineAt(Math.min(at, editor.document.lineCount - 1)).range.end;
    editor.setDecorations(this.result, [{ range: new vscode.Range(end, end), renderOptions: { after: { contentText: label } } }]);
    if (this.clearTimer) clearTimeout(this.clearTimer);
    this.clearTimer = setTimeout(() => {
      editor.setDecorations(this.flash, []);
      editor.setDecorations(this.result, []);
    }, SHOW_MS);
  }

  dispose(): void {
    if (this.clearTimer) clearTimeout(this.clearTimer);
    this.flash.dispose();
    this.result.dispose();
  }
}

function send(text: string, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.send(Buffer.from(text, 'utf8'), port, host, (err) => {
      socket.close();
      if (err) reject(err);
      else resolve();
    });
  });
}
