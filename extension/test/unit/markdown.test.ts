// Hostile model output through the chat panel's renderer: nothing may become markup that runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { contentSecurityPolicy, renderMarkdown, safeUrl } from '../../src/markdown';

const TAGS = new Set(['p', 'br', 'strong', 'em', 'code', 'pre', 'a', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li']);
const ATTRIBUTES = new Set(['href', 'rel', 'class', 'data-block']);

/** Every tag in the output is one the renderer itself writes, with only its own attributes. */
function assertInert(html: string): void {
  for (const m of html.matchAll(/<\/?([a-zA-Z0-9-]+)([^>]*)>/g)) {
    assert.ok(TAGS.has(m[1].toLowerCase()), `unexpected tag <${m[1]}> in ${html}`);
    for (const a of m[2].matchAll(/([a-zA-Z-]+)\s*=\s*"([^"]*)"/g)) {
      assert.ok(ATTRIBUTES.has(a[1]), `unexpected attribute ${a[1]} in ${html}`);
      if (a[1] === 'href') assert.match(a[2], /^https?:\/\//, `unsafe href ${a[2]}`);
    }
    assert.doesNotMatch(m[2], /\son\w+\s*=/i, 'no event-handler attributes');
  }
  assert.doesNotMatch(html, /<script|<img|<svg|<iframe|<style|<meta/i);
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(1)">',
  '<svg onload=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  '[click me](javascript:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[cmd](command:workbench.action.terminal.new)',
  '[x](https://example.com/"onmouseover="alert(1))',
  '**<script>alert(1)</script>**',
  '`</code><script>alert(1)</script>`',
  '```csound\n</code></pre><script>alert(1)</script>\n```',
  '```"><img src=x onerror=alert(1)>\ncode\n```',
  '# <iframe src="https://evil.example"></iframe>',
  '- <style>body{display:none}</style>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '![img](https://evil.example/x.png" onerror="alert(1))',
];

for (const input of HOSTILE) {
  test(`hostile: ${input.slice(0, 40)}`, () => {
    const { html } = renderMarkdown(input);
    assertInert(html);
  });
}

test('script text is shown, escaped', () => {
  const { html } = renderMarkdown('<script>alert(1)</script>');
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test('http links are kept, with rel=noopener', () => {
  const { html } = renderMarkdown('See [the manual](https://csound.com/docs/manual/oscili.html).');
  assert.match(html, /<a href="https:\/\/csound\.com\/docs\/manual\/oscili\.html" rel="noopener noreferrer">the manual<\/a>/);
});

test('refused links keep their text visible', () => {
  const { html } = renderMarkdown('[click](javascript:alert(1))');
  assert.match(html, /click \(javascript:alert\(1\)\)|click/);
  assert.doesNotMatch(html, /<a /);
});

test('code blocks are collected verbatim for Copy / Insert', () => {
  const source = 'Try:\n```csound\ninstr 1\n  asig oscili 0.3, 440 ; <b>\nendin\n```\nDone.';
  const { html, blocks } = renderMarkdown(source);
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0].language, 'csound');
  assert.equal(blocks[0].code, 'instr 1\n  asig oscili 0.3, 440 ; <b>\nendin');
  assert.match(html, /<pre data-block="0"><code class="language-csound">/);
  assert.match(html, /; &lt;b&gt;/);
});

test('markdown basics', () => {
  const { html } = renderMarkdown('## Title\n\nSome **bold** and *em* and `code`.\n\n- a\n- b\n\n1. one');
  assert.match(html, /<h4>Title<\/h4>/);
  assert.match(html, /<strong>bold<\/strong>/);
  assert.match(html, /<em>em<\/em>/);
  assert.match(html, /<code>code<\/code>/);
  assert.match(html, /<ul>\n<li>a<\/li>\n<li>b<\/li>\n<\/ul>/);
  assert.match(html, /<ol>\n<li>one<\/li>\n<\/ol>/);
});

test('safeUrl', () => {
  assert.equal(safeUrl('https://csound.com'), 'https://csound.com/');
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl('JaVaScRiPt:alert(1)'), null);
  assert.equal(safeUrl('//evil.example'), null);
  assert.equal(safeUrl('https://a.com/" onmouseover="x'), null);
});

test('the CSP forbids inline script and everything by default', () => {
  const csp = contentSecurityPolicy('vscode-resource:', 'abc123');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
});
