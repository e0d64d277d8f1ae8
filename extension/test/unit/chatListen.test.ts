// "Render & listen" in the chat panel: the button on CSD blocks only, the player HTML, the
// server's answer → what the panel shows, the message the webview sends, and the CSP for media.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseFromWebview } from '../../src/chat/messages';
import { isCsd, listenHtml, listenView, renderEntry, type ListenView } from '../../src/chat/render';
import { parseReply, Transcript } from '../../src/chat/transcript';
import { contentSecurityPolicy } from '../../src/markdown';
import type { RenderReply } from '../../src/play';

const CSD = '<CsoundSynthesizer>\n<CsInstruments>\ninstr 1\nendin\n</CsInstruments>\n<CsScore>\ni 1 0 1\n</CsScore>\n</CsoundSynthesizer>';

function answer(markdown: string) {
  const t = new Transcript();
  const { assistant } = t.start('/generate a tone');
  t.finish(assistant.id, parseReply({ id: assistant.id, answer: markdown, error: null }));
  return assistant;
}

test('only complete CSD blocks get the Render & listen button', () => {
  const entry = answer(`A CSD:\n\n\`\`\`csound\n${CSD}\n\`\`\`\n\nAn instrument:\n\n\`\`\`csound\ninstr 2\nendin\n\`\`\``);
  const html = renderEntry(entry);
  assert.equal(html.match(/data-code="listen"/g)?.length, 1);
  assert.match(html, new RegExp(`data-code="listen" data-turn="${entry.id}" data-block="0"`));
  assert.ok(isCsd(CSD) && !isCsd('instr 1\nendin'));
});

test('the player shows under its own block, with escaped text', () => {
  const entry = answer(`\`\`\`csound\n${CSD}\n\`\`\``);
  const view: ListenView = {
    state: 'done', audio: 'https://file+.vscode-resource.vscode-cdn.net/r/render.wav', waveform: 'https://x/w.png', spectrogram: 'https://x/s.png',
    summary: '2.0 s · ch 1: peak -6 / RMS -9 dBFS', warnings: ['silent: <b>all</b> zeros'],
  };
  const html = renderEntry(entry, (turn, block) => (turn === entry.id && block === 0 ? view : undefined));
  assert.match(html, /<audio controls preload="auto" src="https:\/\/file\+\.vscode-resource[^"]*render\.wav"><\/audio>/);
  assert.match(html, /<img class="waveform" src="https:\/\/x\/w.png" alt="Waveform">/);
  assert.match(html, /<img class="spectrogram" src="https:\/\/x\/s.png"/);
  assert.match(html, /silent: &lt;b&gt;all&lt;\/b&gt; zeros/);
  assert.equal(renderEntry(entry).includes('<audio'), false);
  assert.equal(listenHtml({ state: 'rendering' }), '<div class="listen rendering">Rendering…</div>');
  assert.match(listenHtml({ state: 'error', message: 'not rendered: "system_i"' }), /not rendered: &quot;system_i&quot;/);
});

const REPLY: RenderReply = {
  ok: true, audible: true, wav: '/s/renders/ab/render.wav', seconds: 8, seconds_cap: 8, capped: true, sample_rate: 44100,
  channels: [{ peak_dbfs: -6.02, rms_dbfs: -9.03, clipped_samples: 0 }], refused: null, error: null, problems: [],
  warnings: ['stopped at the 8 s cap (the score runs longer)'], waveform: '/s/renders/ab/render-waveform.png', spectrogram: '/s/renders/ab/render-spectrogram.png',
};

test("the server's answer becomes webview URIs and a summary", () => {
  const view = listenView(REPLY, (f) => `vscode-resource:${f}`);
  assert.deepEqual(view, {
    state: 'done', audio: 'vscode-resource:/s/renders/ab/render.wav',
    waveform: 'vscode-resource:/s/renders/ab/render-waveform.png', spectrogram: 'vscode-resource:/s/renders/ab/render-spectrogram.png',
    summary: '8.0 s · ch 1: peak -6.02 / RMS -9.03 dBFS', warnings: ['stopped at the 8 s cap (the score runs longer)'],
  });
  const refused = listenView({ ...REPLY, ok: false, wav: null, refused: "not rendered: 'fout' at line 9 writes files" }, String);
  assert.deepEqual(refused, { state: 'error', message: "not rendered: 'fout' at line 9 writes files" });
  assert.equal(listenView(undefined, String).state, 'error');
  const noImages = listenView({ ...REPLY, waveform: undefined, spectrogram: undefined, imageError: 'needs numpy' }, String);
  assert.ok(noImages.state === 'done' && !noImages.waveform && noImages.warnings.includes('needs numpy'));
});

test('the webview may ask for a listen; the CSP allows local media and nothing remote', () => {
  assert.deepEqual(parseFromWebview({ type: 'code', action: 'listen', turn: 'a1', block: 0 }), { type: 'code', action: 'listen', turn: 'a1', block: 0 });
  assert.equal(parseFromWebview({ type: 'code', action: 'play', turn: 'a1', block: 0 }), undefined);
  const csp = contentSecurityPolicy('https://*.vscode-cdn.net', 'n');
  assert.match(csp, /media-src https:\/\/\*\.vscode-cdn\.net(;|$)/);
  assert.doesNotMatch(csp, /media-src[^;]*(\*;|https:;|data:)/);
});
