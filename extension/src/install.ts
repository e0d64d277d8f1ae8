// "Install Language Server": a virtual environment in the extension's global storage with
// csound-assist pip-installed from the workspace (a trusted checkout) or from the copy in the .vsix.

import * as path from 'node:path';

import * as vscode from 'vscode';

import { CONFIG_SECTION, Settings } from './constants';
import { installModel, MODEL_LABEL } from './modelInstall';
import { createServerVenv, findBasePython, isServerSource } from './python';
import { currentSettings, type ServerManager } from './server';

/** Where to install from: a trusted workspace checkout first, then the source bundled in the .vsix. */
export function serverSources(extensionPath: string): string[] {
  const out: string[] = [];
  if (vscode.workspace.isTrusted) {
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      if (f.uri.scheme === 'file') out.push(f.uri.fsPath, path.dirname(f.uri.fsPath));
    }
  }
  out.push(path.join(extensionPath, 'dist', 'python'));
  return out.filter(isServerSource);
}

export async function installServer(
  context: vscode.ExtensionContext,
  server: ServerManager,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const sources = serverSources(context.extensionPath);
  const source = sources[0];
  if (!source) {
    void vscode.window.showErrorMessage('Csound Assist: no csound-assist source to install from (this .vsix has no bundled server).');
    return;
  }
  const setting = currentSettings(log).server.pythonPath;
  const candidates = [...(setting ? [setting] : []), 'python3.13', 'python3.12', 'python3.11', 'python3', 'python'];
  const base = await findBasePython(candidates);
  if (!base) {
    const choice = await vscode.window.showErrorMessage(
      'Csound Assist: the language server needs Python 3.11 or newer; none was found on PATH.',
      'Choose Interpreter',
    );
    if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', `${CONFIG_SECTION}.${Settings.pythonPath}`);
    return;
  }
  log.show(true);
  let python: string;
  try {
    python = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'Csound Assist: installing the language server (pip)…',
        cancellable: false,
      },
      () => createServerVenv(base, server.managedVenv, source, log),
    );
  } catch (e) {
    log.error(`Installing the server failed: ${e instanceof Error ? e.message : String(e)}`);
    const choice = await vscode.window.showErrorMessage(
      `Csound Assist: installing the language server failed: ${e instanceof Error ? e.message : String(e)}`,
      'Show Logs',
    );
    if (choice) log.show();
    return;
  }
  if (setting) {
    // The configured interpreter lacks the server; the new environment is used only if the user agrees.
    const choice = await vscode.window.showInformationMessage(
      `Csound Assist: the server is installed in ${python}. Use it instead of ${setting}?`,
      'Use It',
    );
    if (choice) {
      // The settings change restarts the server (debounced).
      await vscode.workspace.getConfiguration(CONFIG_SECTION).update(Settings.pythonPath, python, vscode.ConfigurationTarget.Global);
    } else {
      await server.restart();
    }
  } else {
    await server.restart();
  }
  // Asked only once the server runs: the editor features never wait on the answer (or the download).
  void offerModel(python, log, () => server.restart());
}

/** Opt-in: the default AI model is a 1.1 GB download, so it is installed only when asked. */
async function offerModel(python: string, log: vscode.LogOutputChannel, onInstalled: () => Promise<void>): Promise<void> {
  const choice = await vscode.window.showInformationMessage(
    `Csound Assist: also install the default AI model, ${MODEL_LABEL}? Without it (or Ollama), AI features are off.`,
    'Install Model',
    'Not Now',
  );
  if (choice !== 'Install Model') return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Csound Assist: installing ${MODEL_LABEL}`, cancellable: false },
    (progress) => {
      let shown = 0;
      return installModel(
        python,
        (percent) => {
          if (percent > shown) progress.report({ increment: percent - shown, message: `${percent} %` });
          shown = Math.max(shown, percent);
        },
        (line) => log.info(`model install: ${line}`),
      );
    },
  );
  if (result.ok) {
    void vscode.window.showInformationMessage(`Csound Assist: ${result.message}`);
    await onInstalled(); // the running server looked for a model at start
  }
  else void vscode.window.showErrorMessage(`Csound Assist: the model was not installed: ${result.message}`);
}
