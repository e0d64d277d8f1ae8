// The status bar item: shows renderStatus(), opens the matching actions on click.

import * as vscode from 'vscode';

import { Commands, LANGUAGE_IDS } from './constants';
import { renderStatus, statusActions, type ClientState, type ServerStatus } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private client: ClientState = 'stopped';
  private server: ServerStatus = {};
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.item = vscode.window.createStatusBarItem('csoundAssist.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Csound Assist';
    this.item.command = Commands.statusActions;
    this.subscription = vscode.window.onDidChangeActiveTextEditor(() => this.updateVisibility());
    this.render();
  }

  update(client: ClientState, server: ServerStatus): void {
    this.client = client;
    this.server = server;
    this.render();
  }

  private render(): void {
    const view = renderStatus(this.client, this.server);
    this.item.text = view.text;
    this.item.accessibilityInformation = { label: view.ariaLabel, role: 'button' };
    const tooltip = new vscode.MarkdownString(view.tooltip.join('  \n'), true);
    tooltip.appendMarkdown('\n\n_Click for actions_');
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.updateVisibility();
  }

  /** Shown while a Csound file is open, or whenever something needs the user. */
  private updateVisibility(): void {
    const lang = vscode.window.activeTextEditor?.document.languageId;
    const csound = lang !== undefined && (LANGUAGE_IDS as readonly string[]).includes(lang);
    const needsUser = this.client === 'notInstalled' || this.client === 'crashed';
    if (csound || needsUser) this.item.show();
    else this.item.hide();
  }

  /** The quick pick behind a click. */
  async showActions(): Promise<void> {
    const actions = statusActions(this.client, this.server);
    const pick = await vscode.window.showQuickPick(
      actions.map((a) => ({ label: a.label, detail: a.detail, action: a })),
      { title: 'Csound Assist', placeHolder: renderStatus(this.client, this.server).ariaLabel },
    );
    if (pick) await vscode.commands.executeCommand(pick.action.command, ...(pick.action.args ?? []));
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
