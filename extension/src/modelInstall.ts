// The default AI model's install (`python -m csound_assist model install`), offered once after the
// server is installed: an explicit opt-in, since it downloads 1.1 GB. No VS Code import here: the
// progress-line parser is unit-tested, the runner takes a callback.

import { spawn } from 'node:child_process';

import { SERVER_MODULE } from './constants';

export const MODEL_LABEL = 'Qwen2.5-Coder-1.5B-Instruct (1.1 GB download)';

/** "  model: qwen….gguf 576/1065 (15.0 s)" → {done: 576, total: 1065} (MiB); else undefined. */
export function parseModelProgress(line: string): { done: number; total: number } | undefined {
  const m = /^\s*model: \S+ (\d+)\/(\d+)(?: done)? \(/.exec(line);
  if (!m) return undefined;
  const done = Number(m[1]);
  const total = Number(m[2]);
  return total > 0 && done <= total ? { done, total } : undefined;
}

/** Runs the install; `onProgress(percent)` per progress line; resolves with the last output line. */
export function installModel(
  python: string,
  onProgress: (percent: number) => void,
  onLine: (line: string) => void,
): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    const proc = spawn(python, ['-m', SERVER_MODULE, 'model', 'install'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = '';
    const feed = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        last = line.trim();
        onLine(last);
        const p = parseModelProgress(line);
        if (p) onProgress(Math.floor((100 * p.done) / p.total));
      }
    };
    proc.stdout.on('data', feed);
    proc.stderr.on('data', feed);
    proc.on('error', (e) => resolve({ ok: false, message: e.message }));
    proc.on('close', (code) => resolve({ ok: code === 0, message: last }));
  });
}
