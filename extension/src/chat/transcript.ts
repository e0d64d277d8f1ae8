// The chat transcript: user and assistant entries, updated by the server's `csound/chatEvent`
// notifications and the `csound/chat` reply (server/csound_assist/lsp/README.md, "Chat panel").
// Pure: everything from the server arrives as `unknown` and is checked here.

import type { Verdict } from './messages';

/** A retrieved example the answer drew on; origin is `path#Lline` (or a URL). */
export interface Source {
  title: string;
  origin: string;
  score: number;
}

/** A `code` event: code the server compiled; `ok` only when it compiled. */
export interface CodeCheck {
  ok: boolean;
  code: string;
  error: string;
}

export type EntryStatus = 'streaming' | 'done' | 'error' | 'stopped';

export interface UserEntry {
  kind: 'user';
  id: string;
  text: string;
}

/** The request that produced an answer: the panel's own `csound/chat`, or `csound/explain`. */
export type TurnFeature = 'chat' | 'explain';

export interface AssistantEntry {
  kind: 'assistant';
  id: string;
  feature: TurnFeature;
  /** The user text this answers (for feedback). */
  question: string;
  /** Markdown: the tokens so far, replaced by the full answer at `done`. */
  answer: string;
  status: EntryStatus;
  sources: Source[];
  checks: CodeCheck[];
  info: string[];
  error?: string;
  feedback?: Verdict;
}

export type Entry = UserEntry | AssistantEntry;

export type ChatEventKind = 'sources' | 'token' | 'code' | 'info' | 'error' | 'done';

export interface ChatEvent {
  id: string;
  kind: ChatEventKind;
  data: unknown;
}

/** `csound/chat` reply. */
export interface ChatReply {
  answer: string;
  error: string | null;
}

/** The error text of a turn ended with the Stop button. */
export const STOPPED = 'stopped';

const KINDS: readonly ChatEventKind[] = ['sources', 'token', 'code', 'info', 'error', 'done'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

export function parseChatEvent(raw: unknown): ChatEvent | undefined {
  if (!isObject(raw) || typeof raw.id !== 'string' || !KINDS.includes(raw.kind as ChatEventKind)) return undefined;
  return { id: raw.id, kind: raw.kind as ChatEventKind, data: raw.data };
}

export function parseSources(data: unknown): Source[] {
  if (!Array.isArray(data)) return [];
  return data.filter(isObject).map((s) => ({
    title: str(s.title) || str(s.origin) || 'source',
    origin: str(s.origin),
    score: typeof s.score === 'number' && Number.isFinite(s.score) ? s.score : 0,
  }));
}

export function parseCodeCheck(data: unknown): CodeCheck | undefined {
  if (!isObject(data) || typeof data.code !== 'string') return undefined;
  return { ok: data.ok === true, code: data.code, error: str(data.error) };
}

/** A reply of `csound/chat`; `null` (the feature failed inside the server) becomes an error. */
export function parseReply(raw: unknown): ChatReply {
  if (!isObject(raw)) return { answer: '', error: 'the server could not answer (see the log)' };
  const error = raw.error === null || raw.error === undefined || raw.error === '' ? null : str(raw.error);
  return { answer: str(raw.answer), error };
}

export class Transcript {
  private items: Entry[] = [];
  private counter = 0;

  constructor(private readonly prefix = `chat-${Date.now().toString(36)}`) {}

  get entries(): readonly Entry[] {
    return this.items;
  }

  get(id: string): Entry | undefined {
    return this.items.find((e) => e.id === id);
  }

  assistant(id: string): AssistantEntry | undefined {
    const e = this.get(id);
    return e?.kind === 'assistant' ? e : undefined;
  }

  /** The assistant entry still streaming, if any (one turn at a time). */
  get pending(): AssistantEntry | undefined {
    return this.items.find((e): e is AssistantEntry => e.kind === 'assistant' && e.status === 'streaming');
  }

  /** Adds the user's entry and an empty, streaming answer; the answer's id is the turn id. */
  start(text: string, feature: TurnFeature = 'chat'): { user: UserEntry; assistant: AssistantEntry } {
    const n = ++this.counter;
    const user: UserEntry = { kind: 'user', id: `${this.prefix}-u${n}`, text };
    const assistant: AssistantEntry = {
      kind: 'assistant',
      id: `${this.prefix}-a${n}`,
      feature,
      question: text,
      answer: '',
      status: 'streaming',
      sources: [],
      checks: [],
      info: [],
    };
    this.items.push(user, assistant);
    return { user, assistant };
  }

  /** Applies one event; returns the entry it changed (events for other or finished turns: none). */
  apply(event: ChatEvent): AssistantEntry | undefined {
    const entry = this.assistant(event.id);
    if (!entry || entry.status !== 'streaming') return undefined;
    switch (event.kind) {
      case 'token':
        entry.answer += str(event.data);
        break;
      case 'done':
        if (typeof event.data === 'string') entry.answer = event.data;
        break;
      case 'sources':
        entry.sources = parseSources(event.data);
        break;
      case 'code': {
        const check = parseCodeCheck(event.data);
        if (!check) return undefined;
        entry.checks.push(check);
        break;
      }
      case 'info':
        entry.info.push(str(event.data));
        break;
      case 'error':
        entry.error = str(event.data);
        break;
    }
    return entry;
  }

  /** The request's reply ends the turn. */
  finish(id: string, reply: ChatReply): AssistantEntry | undefined {
    const entry = this.assistant(id);
    if (!entry || entry.status !== 'streaming') return undefined;
    if (reply.answer) entry.answer = reply.answer;
    if (reply.error === STOPPED) {
      entry.status = 'stopped';
      if (entry.error === STOPPED) entry.error = undefined;
    } else if (reply.error) {
      entry.status = 'error';
      entry.error = reply.error;
    } else {
      entry.status = entry.answer.trim() ? 'done' : 'error';
      if (entry.status === 'error') entry.error ??= 'the model gave no answer';
    }
    return entry;
  }

  /** The request itself failed (server gone, connection closed): ends the turn with `message`. */
  fail(id: string, message: string): AssistantEntry | undefined {
    const entry = this.assistant(id);
    if (!entry || entry.status !== 'streaming') return undefined;
    entry.status = 'error';
    entry.error = message;
    return entry;
  }

  /** Replaces the transcript with `csound/chatHistory` ([{role, content}]). */
  loadHistory(raw: unknown): void {
    this.items = [];
    if (!Array.isArray(raw)) return;
    let question = '';
    raw.filter(isObject).forEach((m, i) => {
      const content = str(m.content);
      if (m.role === 'user') {
        question = content;
        this.items.push({ kind: 'user', id: `${this.prefix}-h${i}`, text: content });
      } else if (m.role === 'assistant') {
        this.items.push({
          kind: 'assistant',
          id: `${this.prefix}-h${i}`,
          feature: 'chat',
          question,
          answer: content,
          status: 'done',
          sources: [],
          checks: [],
          info: [],
        });
      }
    });
  }

  clear(): void {
    this.items = [];
  }
}
