// The chat transcript driven by csound/chatEvent notifications and the csound/chat reply.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseChatEvent, parseReply, Transcript, type AssistantEntry } from '../../src/chat/transcript';

function event(id: string, kind: string, data: unknown) {
  const e = parseChatEvent({ id, kind, data });
  assert.ok(e, `event ${kind}`);
  return e;
}

test('tokens accumulate, done replaces, the reply ends the turn', () => {
  const t = new Transcript('t');
  const { user, assistant } = t.start('what is oscili?');
  assert.equal(user.text, 'what is oscili?');
  assert.equal(t.pending?.id, assistant.id);
  t.apply(event(assistant.id, 'sources', [{ title: 'a.csd: instr 1', origin: '/x/a.csd#L3', score: 0.5 }]));
  t.apply(event(assistant.id, 'token', 'An '));
  t.apply(event(assistant.id, 'token', 'oscillator'));
  assert.equal(t.assistant(assistant.id)?.answer, 'An oscillator');
  t.apply(event(assistant.id, 'done', 'An oscillator.'));
  const done = t.finish(assistant.id, parseReply({ id: assistant.id, answer: 'An oscillator.', error: null }));
  assert.equal(done?.status, 'done');
  assert.equal(done?.answer, 'An oscillator.');
  assert.deepEqual(done?.sources, [{ title: 'a.csd: instr 1', origin: '/x/a.csd#L3', score: 0.5 }]);
  assert.equal(t.pending, undefined);
});

test('events of other ids (csound/explain) and of finished turns change nothing', () => {
  const t = new Transcript('t');
  const { assistant } = t.start('hi');
  assert.equal(t.apply(event('explain-1', 'token', 'x')), undefined);
  t.finish(assistant.id, { answer: 'hello', error: null });
  assert.equal(t.apply(event(assistant.id, 'token', 'late')), undefined);
  assert.equal(t.assistant(assistant.id)?.answer, 'hello');
});

test('Stop: the reply with error "stopped" keeps the partial answer', () => {
  const t = new Transcript('t');
  const { assistant } = t.start('long one');
  t.apply(event(assistant.id, 'token', 'partial'));
  t.apply(event(assistant.id, 'error', 'stopped'));
  const e = t.finish(assistant.id, parseReply({ id: assistant.id, answer: '', error: 'stopped' }));
  assert.equal(e?.status, 'stopped');
  assert.equal(e?.answer, 'partial');
  assert.equal(e?.error, undefined);
});

test('errors: from the server, an empty answer, a null reply, a failed request', () => {
  const t = new Transcript('t');
  const a = t.start('x').assistant;
  t.apply(event(a.id, 'error', 'No answer: the model is unavailable (see the log).'));
  assert.equal(t.finish(a.id, parseReply({ answer: '', error: 'No answer: the model is unavailable (see the log).' }))?.status, 'error');

  const b = t.start('y').assistant;
  const empty = t.finish(b.id, parseReply({ answer: '', error: null }));
  assert.equal(empty?.status, 'error');
  assert.match(empty?.error ?? '', /no answer/);

  const c = t.start('z').assistant;
  assert.match(t.finish(c.id, parseReply(null))?.error ?? '', /could not answer/);

  const d = t.start('w').assistant;
  const failed = t.fail(d.id, 'connection closed');
  assert.equal(failed?.status, 'error');
  assert.equal(failed?.error, 'connection closed');
  assert.equal(t.fail(d.id, 'again'), undefined, 'a finished turn stays finished');
});

test('code and info events are kept', () => {
  const t = new Transcript('t');
  const a = t.start('/fix').assistant;
  t.apply(event(a.id, 'info', 'Compiler: error: syntax error, line 3'));
  t.apply(event(a.id, 'code', { ok: false, code: 'instr 1\nendin', error: 'still broken' }));
  t.apply(event(a.id, 'code', 'not an object'));
  const e = t.assistant(a.id) as AssistantEntry;
  assert.deepEqual(e.info, ['Compiler: error: syntax error, line 3']);
  assert.deepEqual(e.checks, [{ ok: false, code: 'instr 1\nendin', error: 'still broken' }]);
});

test('ok is true only when the server says exactly true', () => {
  const t = new Transcript('t');
  const a = t.start('/generate x').assistant;
  t.apply(event(a.id, 'code', { ok: 'yes', code: 'x' }));
  assert.equal(t.assistant(a.id)?.checks[0].ok, false);
});

test('malformed notifications are refused', () => {
  assert.equal(parseChatEvent(null), undefined);
  assert.equal(parseChatEvent({ id: 1, kind: 'token', data: 'x' }), undefined);
  assert.equal(parseChatEvent({ id: 'a', kind: 'eval', data: 'x' }), undefined);
});

test('history: user/assistant pairs become done entries; junk is skipped', () => {
  const t = new Transcript('t');
  t.loadHistory([
    { role: 'user', content: 'q1' },
    { role: 'assistant', content: 'a1' },
    { role: 'system', content: 'ignored' },
    'junk',
    { role: 'user', content: '/explain' },
    { role: 'assistant', content: 'a2' },
  ]);
  const kinds = t.entries.map((e) => `${e.kind}:${e.kind === 'user' ? e.text : e.answer}`);
  assert.deepEqual(kinds, ['user:q1', 'assistant:a1', 'user:/explain', 'assistant:a2']);
  const last = t.entries[3] as AssistantEntry;
  assert.equal(last.status, 'done');
  assert.equal(last.question, '/explain');
  t.loadHistory({ not: 'a list' });
  assert.equal(t.entries.length, 0);
});

test('ids are unique and safe for the webview protocol', () => {
  const t = new Transcript('chat-abc');
  const ids = [t.start('a'), t.start('b')].flatMap((x) => [x.user.id, x.assistant.id]);
  assert.equal(new Set(ids).size, 4);
  for (const id of ids) assert.match(id, /^[\w.-]+$/);
});
