// Pure helpers behind the panel's buttons: where a source points, which language a new file gets,
// what feedback is sent, and a throttle for streamed re-rendering.

import { safeUrl } from '../markdown';
import type { Verdict } from './messages';
import type { AssistantEntry } from './transcript';

export type Origin = { kind: 'file'; path: string; line: number } | { kind: 'url'; url: string };

/**
 * A source's origin: `path#Lline` (the retrieval index's absolute paths; a relative path is left
 * for the caller to resolve), a `file://` URI with an optional `#Lline`, or an http(s) URL. Other
 * schemes (`command:`, `javascript:` …) are refused.
 */
export function parseOrigin(origin: string): Origin | undefined {
  const raw = origin.trim();
  if (!raw) return undefined;
  if (/^https?:/i.test(raw)) {
    const url = safeUrl(raw);
    return url ? { kind: 'url', url } : undefined;
  }
  const m = /^(.*?)(?:#L(\d+)(?:-L?\d+)?)?$/.exec(raw);
  let file = m?.[1] ?? '';
  const line = Math.max(1, Number(m?.[2] ?? 1));
  if (/^file:\/\//i.test(file)) {
    try {
      file = decodeURIComponent(new URL(file).pathname);
      // file:///C:/x → C:/x
      if (/^\/[A-Za-z]:\//.test(file)) file = file.slice(1);
    } catch {
      return undefined;
    }
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(file) && !/^[A-Za-z]:[\\/]/.test(file)) {
    return undefined; // another scheme (a Windows drive letter is a path)
  }
  return file ? { kind: 'file', path: file, line } : undefined;
}

export type CsoundLanguage = 'csound-csd' | 'csound-orc' | 'csound-sco';

/** The language of a new untitled file for a code block: a CSD when it is one, else by fence tag. */
export function newFileLanguage(language: string, code: string): CsoundLanguage {
  if (/<CsoundSynthesizer>/i.test(code)) return 'csound-csd';
  const lang = language.toLowerCase();
  if (lang === 'sco' || lang === 'csound-sco') return 'csound-sco';
  if (lang === 'csd' || lang === 'csound-csd') return 'csound-csd';
  return 'csound-orc';
}

/** Feedback details are cut to this many characters each. */
export const FEEDBACK_TEXT_LIMIT = 2000;

/** `csound/feedback` params for a thumbs up/down on an answer. */
export function feedbackParams(entry: AssistantEntry, verdict: Verdict): { kind: 'chat' | 'explain'; verdict: Verdict; detail: Record<string, unknown> } {
  return {
    kind: entry.feature,
    verdict,
    detail: {
      turn: entry.id,
      question: entry.question.slice(0, FEEDBACK_TEXT_LIMIT),
      answer: entry.answer.slice(0, FEEDBACK_TEXT_LIMIT),
      compiled: entry.checks.map((c) => c.ok),
    },
  };
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Calls `fn(key)` at most once per `ms` for each key: the first call of a burst runs at the end
 * of the window with the latest state (streamed tokens re-render the accumulated answer).
 * `flush(key)` runs a pending call now (the turn ended).
 */
export class Throttle {
  private readonly pending = new Map<string, unknown>();

  constructor(
    private readonly fn: (key: string) => void,
    private readonly ms: number,
    private readonly timers: Timers = { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
  ) {}

  schedule(key: string): void {
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      this.timers.setTimeout(() => {
        this.pending.delete(key);
        this.fn(key);
      }, this.ms),
    );
  }

  flush(key: string): void {
    const handle = this.pending.get(key);
    if (handle !== undefined) this.timers.clearTimeout(handle);
    this.pending.delete(key);
    this.fn(key);
  }

  dispose(): void {
    for (const h of this.pending.values()) this.timers.clearTimeout(h);
    this.pending.clear();
  }
}
