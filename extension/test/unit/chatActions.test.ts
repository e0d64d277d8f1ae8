// Sources' origins, new-file languages, feedback params, the render throttle, webview messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { feedbackParams, FEEDBACK_TEXT_LIMIT, newFileLanguage, parseOrigin, Throttle, type Timers } from '../../src/chat/actions';
import { parseFromWebview } from '../../src/chat/messages';
import { Transcript } from '../../src/chat/transcript';

test('origin path#Lline', () => {
  assert.deepEqual(parseOrigin('/usr/share/doc/csound-doc/examples/oscili.csd#L12'), {
    kind: 'file',
    path: '/usr/share/doc/csound-doc/examples/oscili.csd',
    line: 12,
  });
  assert.deepEqual(parseOrigin('examples/a b.csd'), { kind: 'file', path: 'examples/a b.csd', line: 1 });
  assert.deepEqual(parseOrigin('/x/y.orc#L3-L9'), { kind: 'file', path: '/x/y.orc', line: 3 });
  assert.deepEqual(parseOrigin('C:\\music\\a.csd#L4'), { kind: 'file', path: 'C:\\music\\a.csd', line: 4 });
  assert.deepEqual(parseOrigin('file:///home/u/My%20Song.csd#L7'), { kind: 'file', path: '/home/u/My Song.csd', line: 7 });
});

test('origin URLs: only http(s); other schemes refused', () => {
  assert.deepEqual(parseOrigin('https://csound.com/docs/manual/oscili.html'), { kind: 'url', url: 'https://csound.com/docs/manual/oscili.html' });
  for (const bad of ['javascript:alert(1)', 'command:workbench.action.terminal.new', 'data:text/html,x', 'vscode://x', '', '#L3']) {
    assert.equal(parseOrigin(bad), undefined, bad);
  }
});

test('new file language', () => {
  assert.equal(newFileLanguage('csound', '<CsoundSynthesizer>\n</CsoundSynthesizer>'), 'csound-csd');
  assert.equal(newFileLanguage('', 'instr 1\nendin'), 'csound-orc');
  assert.equal(newFileLanguage('sco', 'i 1 0 1'), 'csound-sco');
  assert.equal(newFileLanguage('python', 'print(1)'), 'csound-orc');
});

test('feedback params: kind chat, the verdict, cut texts', () => {
  const t = new Transcript('t');
  const a = t.start('q'.repeat(5000)).assistant;
  t.finish(a.id, { answer: 'a'.repeat(5000), error: null });
  const p = feedbackParams(t.assistant(a.id)!, 'down');
  assert.equal(p.kind, 'chat');
  assert.equal(p.verdict, 'down');
  assert.equal((p.detail.question as string).length, FEEDBACK_TEXT_LIMIT);
  assert.equal((p.detail.answer as string).length, FEEDBACK_TEXT_LIMIT);
  assert.equal(p.detail.turn, a.id);
});

test('feedback on an explanation is recorded as explain', () => {
  const t = new Transcript('t');
  const { assistant } = t.start('Explain: instr 1', 'explain');
  t.finish(assistant.id, { answer: 'It plays a note.', error: null });
  assert.equal(feedbackParams(t.assistant(assistant.id)!, 'up').kind, 'explain');
});

test('throttle: one call per window with the latest state; flush runs now', () => {
  const queue: { fn: () => void; cleared: boolean }[] = [];
  const timers: Timers = {
    setTimeout: (fn) => {
      const h = { fn, cleared: false };
      queue.push(h);
      return h;
    },
    clearTimeout: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
  };
  const calls: string[] = [];
  const th = new Throttle((k) => calls.push(k), 50, timers);
  th.schedule('a');
  th.schedule('a');
  th.schedule('a');
  assert.equal(queue.length, 1);
  queue[0].fn();
  assert.deepEqual(calls, ['a']);
  th.schedule('a');
  th.flush('a');
  assert.deepEqual(calls, ['a', 'a']);
  assert.equal(queue[1].cleared, true);
});

test('webview messages are checked field by field', () => {
  assert.deepEqual(parseFromWebview({ type: 'send', text: 'hi' }), { type: 'send', text: 'hi' });
  assert.deepEqual(parseFromWebview({ type: 'code', action: 'newFile', turn: 'chat-x-a1', block: 2 }), {
    type: 'code',
    action: 'newFile',
    turn: 'chat-x-a1',
    block: 2,
  });
  assert.deepEqual(parseFromWebview({ type: 'feedback', turn: 'a', verdict: 'up' }), { type: 'feedback', turn: 'a', verdict: 'up' });
  for (const bad of [
    null,
    'send',
    { type: 'send' },
    { type: 'send', text: 5 },
    { type: 'code', action: 'eval', turn: 'a', block: 0 },
    { type: 'code', action: 'copy', turn: 'a"><script>', block: 0 },
    { type: 'code', action: 'copy', turn: 'a', block: -1 },
    { type: 'code', action: 'copy', turn: 'a', block: 1.5 },
    { type: 'chip', chip: 'everything' },
    { type: 'feedback', turn: 'a', verdict: 'meh' },
    { type: 'run', command: 'rm -rf /' },
  ]) {
    assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
  }
});
