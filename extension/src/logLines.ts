// Server stderr lines → log levels, and the tail kept for crash reports. Pure.

export type LineLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVEL_WORDS: Record<string, LineLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  SUCCESS: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
  FATAL: 'error',
};

/**
 * The level of a server stderr line. Lines without a level (continuations, tracebacks) take
 * `previous`.
 */
export function lineLevel(line: string, previous: LineLevel = 'info'): LineLevel {
  const head = line.slice(0, 80);
  const m =
    // csound_assist.logs: `21:12:57 WARNING csound_assist.lsp: …`
    /^\s*\d\d:\d\d:\d\d(?:\.\d+)?\s+(TRACE|DEBUG|INFO|SUCCESS|WARNING|ERROR|CRITICAL)\s/.exec(head) ??
    // loguru's default `… | WARNING  | …`, logging's `WARNING:name:…`, `[warning]`
    /(?:^|\|\s*|\[)(TRACE|DEBUG|INFO|SUCCESS|WARNING|WARN|ERROR|CRITICAL|FATAL)(?:\s*\||\]|:)/i.exec(head);
  if (m?.[1]) return LEVEL_WORDS[m[1].toUpperCase()] ?? previous;
  if (/^Traceback \(most recent call last\)/.test(line)) return 'error';
  return previous;
}

/** Keeps the last `size` lines written to it. */
export class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly size = 40) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }
  text(): string {
    return this.lines.join('\n');
  }
  /** The most telling line: the last exception or error line, else the last line. */
  lastError(): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i] ?? '';
      if (/(Error|Exception|error:|ERROR|CRITICAL)/.test(l)) return l.trim();
    }
    return this.lines.at(-1)?.trim();
  }
  clear(): void {
    this.lines.length = 0;
  }
}
