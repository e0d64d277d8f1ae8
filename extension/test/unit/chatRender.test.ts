// The chat panel's whole rendering path with hostile model output: server events → transcript →
// HTML. Whatever the model, the sources or the user write, the HTML holds only the panel's own
// tags and attributes, no event handlers, no script, and links only to http(s).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildChips, DEFAULT_TOGGLES } from '../../src/chat/context';
import { panelBlocks, renderChips, renderEntry, webviewHtml } from '../../src/chat/render';
import { parseChatEvent, parseReply, Transcript, type AssistantEntry } from '../../src/chat/transcript';

const TAGS = new Set(['p', 'br', 'strong', 'em', 'code', 'pre', 'a', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'div', 'span', 'button']);
const ATTRIBUTES = new Set([
  'href', 'rel', 'class', 'type', 'title', 'aria-label', 'aria-pressed',
  'data-block', 'data-entry', 'data-action', 'data-code', 'data-turn', 'data-index', 'data-verdict', 'data-chip',
]);

/** Tokenises the HTML: every tag is one of ours with only our attributes; text holds no markup. */
function assertInert(html: string): void {
  for (const token of html.match(/<[^>]*>|[^<]+|</g) ?? []) {
    if (!token.startsWith('<')) {
      assert.doesNotMatch(token, /[<>"]/, `raw markup characters in text: ${token}`);
      continue;
    }
    const m = /^<(\/?)([a-z0-9]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>$/.exec(token);
    assert.ok(m, `malformed or unexpected tag ${token}`);
    assert.ok(TAGS.has(m[2]), `unexpected tag <${m[2]}> in ${token}`);
    for (const a of m[3].matchAll(/([a-z-]+)="([^"]*)"/g)) {
      assert.ok(ATTRIBUTES.has(a[1]), `unexpected attribute ${a[1]} in ${token}`);
      if (a[1] === 'href') assert.match(a[2], /^https?:\/\//, `unsafe href ${a[2]}`);
      // Tooltips may show any text; nothing else may carry a URL-like value.
      if (!['title', 'aria-label'].includes(a[1])) assert.doesNotMatch(a[2], /^\s*(javascript|data|vbscript|command):/i, `script-ish value in ${token}`);
    }
  }
  assert.doesNotMatch(html, /<\s*(script|img|svg|iframe|style|meta|object|embed|form|input|link|base)\b/i);
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(1)">',
  '<svg/onload=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  '[click me](javascript:alert(1))',
  '[cmd](command:workbench.action.terminal.new)',
  '[x](https://example.com/"onmouseover="alert(1))',
  '![img](https://evil.example/x.png" onerror="alert(1))',
  '**<script>alert(1)</script>**',
  '`</code><script>alert(1)</script>`',
  '```csound\n</code></pre><script>alert(1)</script>\n```',
  '```"><img src=x onerror=alert(1)>\ncode\n```',
  '```csound\ninstr 1\n<pre data-block="0"><img src=x onerror=alert(1)></pre>\nendin\n```',
  '<pre data-block="0">fake</pre><button data-action="code" data-code="copy" onclick="alert(1)">',
  '# <iframe src="https://evil.example"></iframe>',
  '- <style>body{display:none}</style>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<form action="https://evil.example"><input name=x></form>',
  '<div data-action="source" data-turn="x" data-index="0">fake source</div>',
];

/** A turn streamed in 3-character tokens; the HTML is checked after every token, as the panel renders it. */
function streamed(text: string): AssistantEntry {
  const t = new Transcript('t');
  const { assistant } = t.start(text);
  for (let i = 0; i < text.length; i += 3) {
    t.apply(parseChatEvent({ id: assistant.id, kind: 'token', data: text.slice(i, i + 3) })!);
    assertInert(renderEntry(t.get(assistant.id)!));
  }
  t.apply(parseChatEvent({ id: assistant.id, kind: 'done', data: text })!);
  t.finish(assistant.id, parseReply({ id: assistant.id, answer: text, error: null }));
  return t.assistant(assistant.id)!;
}

for (const input of HOSTILE) {
  test(`hostile answer, streamed: ${input.slice(0, 40)}`, () => {
    const entry = streamed(input);
    assertInert(renderEntry(entry));
  });
}

test('hostile text everywhere else: user text, sources, code checks, info, errors, history', () => {
  const evil = '<img src=x onerror=alert(1)>"\'><script>alert(1)</script>';
  const t = new Transcript('t');
  const { user, assistant } = t.start(evil);
  const ev = (kind: string, data: unknown) => t.apply(parseChatEvent({ id: assistant.id, kind, data })!);
  ev('sources', [{ title: evil, origin: `javascript:alert(1)#L1`, score: 1 }, { title: 'ok', origin: `/x/${evil}.csd#L2`, score: 0.5 }]);
  ev('info', evil);
  ev('code', { ok: false, code: evil, error: evil });
  ev('code', { ok: true, code: `instr 1 ; ${evil}\nendin`, error: '' });
  ev('token', evil);
  t.finish(assistant.id, parseReply({ answer: evil, error: evil }));
  assertInert(renderEntry(t.get(user.id)!));
  const html = renderEntry(t.get(assistant.id)!);
  assertInert(html);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'shown as text');

  t.loadHistory([{ role: 'user', content: evil }, { role: 'assistant', content: evil }]);
  for (const e of t.entries) assertInert(renderEntry(e));
});

test('hostile file names in the chips', () => {
  const html = renderChips(
    buildChips({ uri: 'file:///x', fileName: '<img src=x onerror=alert(1)>.csd', diagnostics: [{ line: 0, message: '<script>', severity: 'error' }] }, DEFAULT_TOGGLES),
  );
  assertInert(html);
  assert.match(html, /data-chip="file"/);
});

test('code blocks get Copy / Insert / Replace / New file, numbered as panelBlocks', () => {
  const t = new Transcript('t');
  const { assistant } = t.start('/generate a bell');
  const csd = '<CsoundSynthesizer>\n<CsInstruments>\ninstr 1\nendin\n</CsInstruments>\n</CsoundSynthesizer>';
  const ev = (kind: string, data: unknown) => t.apply(parseChatEvent({ id: assistant.id, kind, data })!);
  ev('code', { ok: true, code: csd, error: '' });
  const answer = `This CSD compiles (round 1):\n\n\`\`\`csound\n${csd}\n\`\`\`\n\nOr an orc line:\n\n\`\`\`orc\naSig oscili 0.3, 440\n\`\`\`\n\n\`\`\`bash\ncsound bell.csd\n\`\`\``;
  ev('done', answer);
  t.finish(assistant.id, { answer, error: null });
  const entry = t.assistant(assistant.id)!;
  const html = renderEntry(entry);
  assertInert(html);
  for (const action of ['copy', 'insert', 'replace', 'newFile']) {
    for (const i of [0, 1, 2]) assert.match(html, new RegExp(`data-code="${action}" data-turn="${entry.id}" data-block="${i}"`));
  }
  const blocks = panelBlocks(entry);
  assert.equal(blocks.length, 3);
  assert.equal(blocks[0].code, csd);
  assert.equal(blocks[0].check?.ok, true);
  // The compiled CSD says so; the unchecked Csound block says it was not compiled; bash says nothing.
  const bars = html.split('class="code-bar"').slice(1);
  assert.match(bars[0], /✓ compiles/);
  assert.match(bars[1], /not compiled/);
  assert.doesNotMatch(bars[2], /compile/);
  assert.match(html, /data-action="feedback" data-verdict="up"/);
});

test('a fix that did not compile is shown with the compiler error, and cannot be mistaken for a good one', () => {
  const t = new Transcript('t');
  const { assistant } = t.start('/fix');
  const ev = (kind: string, data: unknown) => t.apply(parseChatEvent({ id: assistant.id, kind, data })!);
  ev('info', 'Compiler: error: syntax error, line 12');
  ev('code', { ok: false, code: 'instr 1\n  aX moogladdr aY, 1000, 0.5\nendin', error: 'error: syntax error, unexpected T_IDENT' });
  ev('error', 'No verified fix after 3 round(s): error: syntax error, unexpected T_IDENT');
  t.finish(assistant.id, parseReply({ answer: '', error: 'No verified fix after 3 round(s): error: syntax error, unexpected T_IDENT' }));
  const entry = t.assistant(assistant.id)!;
  const html = renderEntry(entry);
  assertInert(html);
  assert.equal(panelBlocks(entry).length, 1);
  assert.match(html, /✗ does not compile/);
  assert.doesNotMatch(html, /✓ compiles/);
  assert.match(html, /class="compile-error"><span class="label">Compiler:<\/span> error: syntax error, unexpected T_IDENT/);
  assert.match(html, /class="error">No verified fix/);
  assert.doesNotMatch(html, /data-action="feedback"/, 'no thumbs on a failed turn');
});

test('sources are listed with their origin and clickable by index', () => {
  const t = new Transcript('t');
  const { assistant } = t.start('q');
  t.apply(parseChatEvent({ id: assistant.id, kind: 'sources', data: [{ title: 'oscili.csd: instr 1 (lines 10-20)', origin: '/m/oscili.csd#L10', score: 0.9 }] })!);
  const html = renderEntry(t.get(assistant.id)!);
  assert.match(html, /data-action="source" data-turn="t-a1" data-index="0" title="\/m\/oscili\.csd#L10">oscili\.csd: instr 1 \(lines 10-20\)</);
  assert.match(html, /Thinking…/);
});

test('the page: strict CSP, one nonce\'d script file, no inline script, nothing remote', () => {
  const csp = 'https://file+.vscode-resource.vscode-cdn.net';
  const html = webviewHtml({
    cspSource: csp,
    nonce: 'n0nce-ABC_123',
    scriptUri: `${csp}/ext/dist/webview/chat.js`,
    styleUri: `${csp}/ext/extension/media/chat.css`,
  });
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1].replace(/&#39;/g, "'");
  assert.ok(policy, 'CSP meta');
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /script-src 'nonce-n0nce-ABC_123'(;|$)/);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0][1], /nonce="n0nce-ABC_123"/);
  assert.match(scripts[0][1], /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/chat\.js"/);
  assert.equal(scripts[0][2].trim(), '', 'no inline script');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline handlers');
  assert.doesNotMatch(html, /\sstyle=/i, 'no inline style (the CSP would block it)');
  for (const url of html.match(/(?:src|href)="[^"]*"/g) ?? []) assert.ok(url.includes(csp), `remote resource ${url}`);
  for (const cmd of ['/explain', '/fix', '/generate', '/clear', '/help']) assert.ok(html.includes(`data-hint="${cmd}"`), cmd);
});
