// Builds the extension into dist/: type-checks, bundles src/ with esbuild, copies the TextMate
// grammars and a copy of the Python server source (for "Install Language Server").
//   node extension/scripts/build.mjs [--production] [--watch] [--tests] [--no-typecheck]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

import { buildGrammars } from './grammars.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ext = path.join(root, 'extension');
const dist = path.join(root, 'dist');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

function typecheck() {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // The extension (Node) and the chat webview's script (DOM) have separate type environments.
  for (const config of [path.join(ext, 'tsconfig.json'), path.join(ext, 'src', 'chat', 'webview', 'tsconfig.json')]) {
    execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
  }
}

/** The Python package and its pyproject, so the .vsix can pip-install its own server. */
function copyServerSource() {
  const out = path.join(dist, 'python');
  rmSync(out, { recursive: true, force: true });
  const skip = (src) => !/(__pycache__|\.egg-info|\.pyc$|\.so$)/.test(src);
  cpSync(path.join(root, 'server', 'csound_assist'), path.join(out, 'server', 'csound_assist'), { recursive: true, filter: skip });
  cpSync(path.join(root, 'pyproject.toml'), path.join(out, 'pyproject.toml'));
  const readme = path.join(root, 'README.md');
  if (existsSync(readme)) cpSync(readme, path.join(out, 'README.md'));
  else writeFileSync(path.join(out, 'README.md'), '# csound-assist\n');
  // The tree-sitter grammar's Python binding (C sources, built by pip with the system compiler).
  const grammar = path.join(root, 'grammar');
  if (existsSync(path.join(grammar, 'setup.py'))) {
    const parts = ['setup.py', 'pyproject.toml', 'README.md', 'LICENSE', 'queries', 'src', 'bindings/python/tree_sitter_csound'];
    // From src/ only the C sources and headers (not grammar.json / node-types.json).
    const wanted = (src) => skip(src) && !/[\\/]src[\\/].*\.json$/.test(src);
    for (const part of parts) {
      const from = path.join(grammar, part);
      if (existsSync(from)) cpSync(from, path.join(out, 'grammar', part), { recursive: true, filter: wanted });
    }
  }
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'info',
};

/** The chat webview's script: a browser bundle loaded by the view under its CSP nonce. */
const webviewOptions = () => ({
  ...common,
  entryPoints: [path.join(ext, 'src', 'chat', 'webview', 'main.ts')],
  outfile: path.join(dist, 'webview', 'chat.js'),
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  sourcemap: production ? false : 'linked',
  minify: production,
});

async function buildExtension() {
  const options = {
    ...common,
    entryPoints: [path.join(ext, 'src', 'extension.ts')],
    outfile: path.join(dist, 'extension.js'),
    format: 'cjs',
    external: ['vscode'],
    sourcemap: production ? false : 'linked',
    minify: production,
    // vscode-languageclient reads its own package.json for a version check; bundle it as JSON.
    mainFields: ['module', 'main'],
  };
  if (args.has('--watch')) {
    for (const o of [options, webviewOptions()]) await (await esbuild.context(o)).watch();
    console.log('watching extension/src …');
    return;
  }
  await esbuild.build(options);
  await esbuild.build(webviewOptions());
}

/** Unit tests: bundles each test/unit/*.test.ts (pure modules only) for `node --test`. */
async function buildTests() {
  const dir = path.join(ext, 'test', 'unit');
  const out = path.join(root, 'build', 'ext-tests');
  rmSync(out, { recursive: true, force: true });
  const entries = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f));
  await esbuild.build({ ...common, entryPoints: entries, outdir: out, format: 'esm', outExtension: { '.js': '.mjs' }, sourcemap: 'inline' });
}

mkdirSync(dist, { recursive: true });
if (!args.has('--no-typecheck')) typecheck();
if (args.has('--tests')) {
  await buildTests();
} else {
  buildGrammars(root, path.join(dist, 'syntaxes'));
  copyServerSource();
  await buildExtension();
}
