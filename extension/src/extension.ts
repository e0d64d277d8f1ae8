// Entry point: wire the log channel, status bar, commands and server. Never throws.

import * as vscode from 'vscode';

import { ChatViewProvider } from './chat/panel';
import { CommandHandlers } from './commands';
import { CONFIG_SECTION, EXTENSION_NAME, RESTART_SETTINGS, Settings } from './constants';
import { registerChatPanel } from './features';
import { LiveEval } from './liveEval';
import { Player } from './player';
import { ServerManager } from './server';
import { anyAffected } from './settings';
import { StatusBar } from './statusBar';

let server: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel(EXTENSION_NAME, { log: true });
  context.subscriptions.push(log);
  try {
    log.info(`${EXTENSION_NAME} ${String(context.extension.packageJSON.version)} activating (VS Code ${vscode.version})`);
    const statusBar = new StatusBar();
    const manager = new ServerManager(context, log);
    server = manager;
    manager.onStatus((client, status) => statusBar.update(client, status));
    context.subscriptions.push(statusBar, manager, ...new CommandHandlers(manager, statusBar, log, context).register());
    const player = new Player(manager, log);
    context.subscriptions.push(...player.register(), ...new LiveEval(player, log).register());
    const chat = new ChatViewProvider(manager, log, context);
    context.subscriptions.push(...chat.register());
    registerChatPanel(chat);

    context.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        const affects = (key: string): boolean => e.affectsConfiguration(`${CONFIG_SECTION}.${key}`);
        if (!e.affectsConfiguration(CONFIG_SECTION)) return;
        if (anyAffected(RESTART_SETTINGS, affects)) {
          manager.scheduleRestart('settings changed');
          return;
        }
        manager.pushSettings();
        if (affects(Settings.logLevel)) manager.applyTrace();
      }),
    );
    void manager.start();
  } catch (e) {
    // A bug here must not take the editor's Csound support (grammar, snippets) down with it.
    log.error(`Activation failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    void vscode.window.showErrorMessage(`${EXTENSION_NAME} failed to start; see its log.`, 'Show Logs').then((c) => {
      if (c) log.show();
    });
  }
}

export async function deactivate(): Promise<void> {
  const s = server;
  server = undefined;
  if (s) await s.stop();
}
