// Finding a Python that can run the server, and creating the server's virtual environment.
// No VS Code import: the extension passes in paths and a logger.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { SERVER_MODULE } from './constants';

export interface Log {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const IS_WINDOWS = process.platform === 'win32';

/** The interpreter inside a virtual environment folder. */
export function venvPython(venvDir: string): string {
  return IS_WINDOWS ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');
}

/** Expands `~` and `${workspaceFolder}` the way users write them in settings. */
export function expandPath(p: string, workspaceFolder: string | undefined): string {
  let out = p.trim();
  if (workspaceFolder) out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  if (out === '~' || out.startsWith('~/')) out = path.join(os.homedir(), out.slice(1));
  return out;
}

/** The setting if given, else the extension's own environment if created, else python3 on PATH. */
export function resolveInterpreter(
  setting: string,
  managedVenv: string,
  workspaceFolder: string | undefined,
  exists: (p: string) => boolean = existsSync,
): { python: string; source: 'setting' | 'managed' | 'path' } {
  if (setting) return { python: expandPath(setting, workspaceFolder), source: 'setting' };
  const managed = venvPython(managedVenv);
  if (exists(managed)) return { python: managed, source: 'managed' };
  return { python: IS_WINDOWS ? 'python' : 'python3', source: 'path' };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

function run(cmd: string, args: string[], timeoutMs: number, cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONNOUSERSITE: '1' } },
      (error, stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { code?: unknown }) | null;
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr), ...(err ? { error: err } : {}) });
      },
    );
  });
}

export type ServerCheck =
  | { ok: true; pythonVersion: string }
  | { ok: false; reason: 'noInterpreter' | 'tooOld' | 'notImportable'; detail: string };

const CHECK_SCRIPT = [
  'import sys',
  'print("%d.%d.%d" % sys.version_info[:3])',
  'assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"',
  `import ${SERVER_MODULE}`,
].join('\n');

/** Whether `python` can run the server: Python ≥ 3.11 that imports csound_assist. */
export async function checkServer(python: string): Promise<ServerCheck> {
  const r = await run(python, ['-c', CHECK_SCRIPT], 30_000);
  if (r.error && (r.error.code === 'ENOENT' || r.error.code === 'EACCES')) {
    return { ok: false, reason: 'noInterpreter', detail: `${python}: ${r.error.message}` };
  }
  const version = r.stdout.trim().split('\n')[0] ?? '';
  if (r.code === 0) return { ok: true, pythonVersion: version };
  // The exception line says it all; the traceback above it goes to the log only.
  const tail = r.stderr.trim().split('\n').filter((l) => l.trim()).at(-1)?.trim() ?? '';
  if (tail.includes('Python 3.11 or newer')) {
    return { ok: false, reason: 'tooOld', detail: `${python} is Python ${version}; 3.11 or newer is required` };
  }
  if (!version) return { ok: false, reason: 'noInterpreter', detail: `${python} did not run: ${tail}` };
  return { ok: false, reason: 'notImportable', detail: `${python} (Python ${version}) cannot import ${SERVER_MODULE} (${tail}).` };
}

/** The first of `candidates` that runs and is Python ≥ 3.11. */
export async function findBasePython(candidates: readonly string[]): Promise<string | undefined> {
  for (const c of candidates) {
    const r = await run(c, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'], 15_000);
    if (r.code === 0) return c;
  }
  return undefined;
}

/** True when `dir` holds the csound-assist project (a pyproject.toml naming it). */
export function isServerSource(dir: string): boolean {
  try {
    const text = readFileSync(path.join(dir, 'pyproject.toml'), 'utf8');
    return /^\s*name\s*=\s*["']csound-assist["']/m.test(text);
  } catch {
    return false;
  }
}

/**
 * Creates `venvDir` with `basePython` and pip-installs `source` (a folder with pyproject.toml) into
 * it. Progress goes to `log`; throws with pip's last lines on failure.
 */
export async function createServerVenv(basePython: string, venvDir: string, source: string, log: Log): Promise<string> {
  log.info(`Creating the server environment ${venvDir} with ${basePython}`);
  const venv = await run(basePython, ['-m', 'venv', '--clear', venvDir], 120_000);
  if (venv.code !== 0) {
    throw new Error(`python -m venv failed: ${(venv.stderr || venv.error?.message || '').trim().slice(-600)}`);
  }
  const py = venvPython(venvDir);
  // The grammar's Python binding sits beside the server source (grammar/) in a checkout and in the .vsix.
  const grammar = path.join(source, 'grammar');
  const targets = existsSync(path.join(grammar, 'setup.py')) ? [grammar, source] : [source];
  log.info(`Installing ${targets.join(' and ')} into ${venvDir} (pip)`);
  const pip = await run(py, ['-m', 'pip', 'install', '--disable-pip-version-check', ...targets], 20 * 60_000);
  for (const line of pip.stdout.split('\n').filter((l) => l.trim())) log.info(`pip: ${line}`);
  if (pip.code !== 0) {
    for (const line of pip.stderr.split('\n').filter((l) => l.trim())) log.error(`pip: ${line}`);
    throw new Error(`pip install failed: ${(pip.stderr || pip.error?.message || '').trim().split('\n').slice(-3).join(' ')}`);
  }
  const check = await checkServer(py);
  if (!check.ok) throw new Error(check.detail);
  log.info(`Server environment ready: ${py} (Python ${check.pythonVersion})`);
  return py;
}
