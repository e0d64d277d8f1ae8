// Packages build/csound-assist-<version>.vsix with @vscode/vsce (which runs the production build
// through the manifest's vscode:prepublish script).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, 'build', `${pkg.name}-${pkg.version}.vsix`);
mkdirSync(path.dirname(out), { recursive: true });
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
execFileSync(
  process.execPath,
  [
    vsce, 'package',
    '--no-dependencies', // everything is bundled by esbuild
    '--allow-missing-repository',
    '--skip-license',
    '--readme-path', 'extension/README.md',
    '--changelog-path', 'extension/CHANGELOG.md',
    '--no-rewrite-relative-links',
    '--out', out,
  ],
  { cwd: root, stdio: 'inherit' },
);
console.log(`${path.relative(root, out)} (${Math.round(statSync(out).size / 1024)} KiB)`);
