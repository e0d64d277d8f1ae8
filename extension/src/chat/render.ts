// The chat panel's HTML, built in the extension host so the webview script only places it.
// Model output goes through markdown.ts (escaped; only its own tags), every other string from the
// server or the user through escapeHtml; the page's CSP allows no inline script at all.
// Pure: unit-tested with hostile model output end to end.

import { contentSecurityPolicy, escapeHtml, renderMarkdown, type CodeBlock } from '../markdown';
import { renderHeadline, type RenderReply } from '../play';
import type { Chip } from './context';
import type { CodeAction } from './messages';
import type { AssistantEntry, CodeCheck, Entry } from './transcript';

export const SLASH_COMMANDS: readonly { command: string; hint: string }[] = [
  { command: '/explain', hint: 'explain the selection (or the current file)' },
  { command: '/fix', hint: "fix the file's first compiler error (verified by compiling)" },
  { command: '/generate', hint: 'write a complete CSD that compiles: /generate <description>' },
  { command: '/clear', hint: 'forget this conversation' },
  { command: '/help', hint: 'list the commands' },
];

/** What "Render & listen" shows under a CSD block: the state of its render, with webview URIs. */
export type ListenView =
  | { state: 'rendering' }
  | { state: 'error'; message: string }
  | { state: 'done'; audio: string; waveform?: string; spectrogram?: string; summary: string; warnings: string[] };

/** The listen state of an answer's block, if it was rendered. */
export type ListenLookup = (turn: string, block: number) => ListenView | undefined;

/** A complete CSD (only those can be rendered alone). */
export function isCsd(code: string): boolean {
  return /<CsoundSynthesizer>/i.test(code) && /<CsInstruments>/i.test(code);
}

const LISTEN_TITLE = 'Render offline in the sandbox (a few seconds; never a file that runs programs or writes files) and play it here';

const CODE_BUTTONS: readonly { action: CodeAction; label: string; title: string }[] = [
  { action: 'copy', label: 'Copy', title: 'Copy to the clipboard' },
  { action: 'insert', label: 'Insert', title: 'Insert at the cursor in the editor' },
  { action: 'replace', label: 'Replace', title: "Replace the editor's selection" },
  { action: 'newFile', label: 'New file', title: 'Open in a new untitled Csound file' },
];

/** Fence tags that mean Csound code (blocks without a verdict say they were not compiled). */
const CSOUND_TAGS = new Set(['', 'csound', 'csd', 'orc', 'sco', 'udo', 'csound-csd', 'csound-orc', 'csound-sco', 'text']);

function normalise(code: string): string {
  return code.replace(/\r\n?/g, '\n').trim();
}

/** A code block shown with an answer: from its markdown, or a checked one the answer lacks. */
export interface PanelBlock extends CodeBlock {
  check?: CodeCheck;
}

/**
 * The code blocks of an answer, in the order the panel numbers them: the markdown's fenced blocks
 * (each with the `code` event that checked the same code, if any), then checked code the answer
 * does not show (a failed fix: the code that did not compile, with the compiler's error).
 */
export function panelBlocks(entry: AssistantEntry, blocks: CodeBlock[] = renderMarkdown(entry.answer).blocks): PanelBlock[] {
  const out: PanelBlock[] = blocks.map((b) => {
    const check = entry.checks.find((c) => normalise(c.code) === normalise(b.code));
    return check ? { ...b, check } : { ...b };
  });
  for (const check of entry.checks) {
    if (!check.code.trim() || out.some((b) => b.check === check)) continue;
    out.push({ index: out.length, language: 'csound', code: check.code, check });
  }
  return out;
}

function verdictHtml(block: PanelBlock): string {
  if (block.check?.ok) return '<span class="verdict ok" title="This code compiled with csound">✓ compiles</span>';
  if (block.check) return '<span class="verdict bad" title="Csound rejected this code">✗ does not compile</span>';
  if (CSOUND_TAGS.has(block.language)) return '<span class="verdict unchecked" title="Not checked by the compiler">not compiled</span>';
  return '';
}

function codeBar(turn: string, block: PanelBlock): string {
  const lang = /^[a-z0-9+-]{1,20}$/.test(block.language) && block.language ? block.language : 'code';
  const listen = isCsd(block.code)
    ? `<button type="button" class="code-action listen" data-action="code" data-code="listen" data-turn="${escapeHtml(turn)}" data-block="${block.index}" title="${escapeHtml(LISTEN_TITLE)}">Render &amp; listen</button>`
    : '';
  const buttons = listen + CODE_BUTTONS.map(
    (b) =>
      `<button type="button" class="code-action" data-action="code" data-code="${b.action}" data-turn="${escapeHtml(turn)}" data-block="${block.index}" title="${escapeHtml(b.title)}">${b.label}</button>`,
  ).join('');
  return `<div class="code-bar"><span class="lang">${lang}</span>${verdictHtml(block)}<span class="spacer"></span>${buttons}</div>`;
}

function codeError(block: PanelBlock): string {
  return block.check && !block.check.ok && block.check.error
    ? `<div class="compile-error"><span class="label">Compiler:</span> ${escapeHtml(block.check.error)}</div>`
    : '';
}

/**
 * A `csound/render` answer as what the panel shows; `toUri` turns the server's file paths into
 * webview URIs (asWebviewUri). No reply (a malformed answer) is an error.
 */
export function listenView(reply: RenderReply | undefined, toUri: (file: string) => string): ListenView {
  if (!reply) return { state: 'error', message: 'The server gave no render result (see the Csound Assist log).' };
  if (!reply.ok || !reply.wav) return { state: 'error', message: renderHeadline(reply) };
  const extra = reply.imageError ? [reply.imageError] : [];
  const levels = reply.channels.map((c, i) => `ch ${i + 1}: peak ${c.peak_dbfs ?? '-inf'} / RMS ${c.rms_dbfs ?? '-inf'} dBFS`).join(' · ');
  return {
    state: 'done',
    audio: toUri(reply.wav),
    ...(reply.waveform ? { waveform: toUri(reply.waveform) } : {}),
    ...(reply.spectrogram ? { spectrogram: toUri(reply.spectrogram) } : {}),
    summary: `${reply.seconds.toFixed(1)} s · ${levels}`,
    warnings: [...reply.warnings, ...extra],
  };
}

/** The player, waveform and spectrogram (or the render's state) under a block. */
export function listenHtml(view: ListenView | undefined): string {
  if (!view) return '';
  if (view.state === 'rendering') return '<div class="listen rendering">Rendering…</div>';
  if (view.state === 'error') return `<div class="listen error">${escapeHtml(view.message)}</div>`;
  const img = (src: string | undefined, cls: string, alt: string): string =>
    src ? `<img class="${cls}" src="${escapeHtml(src)}" alt="${alt}">` : '';
  const warnings = view.warnings.map((w) => `<div class="warning">${escapeHtml(w)}</div>`).join('');
  return (
    `<div class="listen done"><audio controls preload="auto" src="${escapeHtml(view.audio)}"></audio>` +
    `<div class="levels">${escapeHtml(view.summary)}</div>${warnings}` +
    `${img(view.waveform, 'waveform', 'Waveform')}${img(view.spectrogram, 'spectrogram', 'Spectrogram (log frequency)')}</div>`
  );
}

function wrapBlock(turn: string, block: PanelBlock, pre: string, listen?: ListenLookup): string {
  return `<div class="code-block">${codeBar(turn, block)}${pre}${codeError(block)}${listenHtml(listen?.(turn, block.index))}</div>`;
}

function sourcesHtml(entry: AssistantEntry): string {
  if (!entry.sources.length) return '';
  const items = entry.sources
    .map(
      (s, i) =>
        `<li><button type="button" class="source" data-action="source" data-turn="${escapeHtml(entry.id)}" data-index="${i}" title="${escapeHtml(s.origin)}">${escapeHtml(s.title)}</button></li>`,
    )
    .join('');
  return `<div class="sources"><div class="label">Sources</div><ol>${items}</ol></div>`;
}

function feedbackHtml(entry: AssistantEntry): string {
  if (entry.status !== 'done') return '';
  const button = (verdict: 'up' | 'down', label: string, title: string) =>
    `<button type="button" class="vote${entry.feedback === verdict ? ' chosen' : ''}" data-action="feedback" data-verdict="${verdict}" data-turn="${escapeHtml(entry.id)}" title="${title}" aria-pressed="${entry.feedback === verdict}">${label}</button>`;
  // Words, not emoji: a webview has no icon font and Linux often no emoji font.
  return `<div class="feedback">${button('up', '+ Helpful', 'This answer helped')}${button('down', '− Not helpful', 'This answer did not help')}</div>`;
}

function statusHtml(entry: AssistantEntry): string {
  const parts = entry.info.map((i) => `<div class="info">${escapeHtml(i)}</div>`);
  if (entry.status === 'streaming') parts.push(`<div class="thinking">${entry.answer ? '…' : 'Thinking…'}</div>`);
  if (entry.status === 'stopped') parts.push('<div class="info">Stopped.</div>');
  if (entry.error && entry.status !== 'stopped') parts.push(`<div class="error">${escapeHtml(entry.error)}</div>`);
  return parts.join('');
}

export function renderAssistant(entry: AssistantEntry, listen?: ListenLookup): string {
  const { html, blocks } = renderMarkdown(entry.answer);
  const all = panelBlocks(entry, blocks);
  // markdown.ts escapes `<`, `"` and `=` in model text, so this pattern can only match its own tags.
  const answer = html.replace(/<pre data-block="(\d+)">[\s\S]*?<\/pre>/g, (pre, i: string) => {
    const block = all[Number(i)];
    return block ? wrapBlock(entry.id, block, pre, listen) : pre;
  });
  const extra = all
    .slice(blocks.length)
    .map((b) => wrapBlock(entry.id, b, `<pre data-block="${b.index}"><code class="language-csound">${escapeHtml(b.code)}</code></pre>`, listen))
    .join('');
  const classes = `entry assistant ${entry.status}`;
  return `<div class="${classes}" data-entry="${escapeHtml(entry.id)}"><div class="answer">${answer}${extra}</div>${statusHtml(entry)}${sourcesHtml(entry)}${feedbackHtml(entry)}</div>`;
}

export function renderEntry(entry: Entry, listen?: ListenLookup): string {
  if (entry.kind === 'assistant') return renderAssistant(entry, listen);
  return `<div class="entry user" data-entry="${escapeHtml(entry.id)}"><div class="text">${escapeHtml(entry.text)}</div></div>`;
}

export function renderChips(chips: readonly Chip[]): string {
  return chips
    .map((c) => {
      const active = c.on && c.available;
      const state = c.available ? (c.on ? 'sent with the question; click to leave out' : 'left out; click to send') : '';
      const title = state ? `${c.title} (${state})` : c.title;
      return `<button type="button" class="chip${active ? ' on' : ''}${c.available ? '' : ' unavailable'}" data-action="chip" data-chip="${c.key}" aria-pressed="${c.on}" title="${escapeHtml(title)}">${escapeHtml(c.label)}</button>`;
    })
    .join('');
}

export interface PageOptions {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/** The webview document: CSP meta, the stylesheet, the layout, one nonce'd script file. */
export function webviewHtml(o: PageOptions): string {
  const hints = SLASH_COMMANDS.map(
    (c) => `<li><button type="button" class="hint" data-hint="${escapeHtml(c.command)}"><b>${escapeHtml(c.command)}</b> ${escapeHtml(c.hint)}</button></li>`,
  ).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
<title>Csound Assist Chat</title>
</head>
<body>
<main id="scroller">
<div id="transcript" role="log" aria-live="polite"></div>
<div id="welcome"><p>Ask anything about Csound. Answers are grounded in the manual and its examples; code marked <span class="verdict ok">✓ compiles</span> passed the compiler.</p><p>Type <b>/</b> for commands.</p></div>
</main>
<footer id="composer">
<div id="notice" role="alert" hidden></div>
<div id="chips" aria-label="Context sent with the question"></div>
<ul id="hints" hidden>${hints}</ul>
<textarea id="input" rows="3" aria-label="Message" placeholder="Ask about Csound (Enter sends, Shift+Enter: new line; / for commands)"></textarea>
<div class="buttons">
<button type="button" id="send" class="primary">Send</button>
<button type="button" id="stop" hidden>Stop</button>
<span class="spacer"></span>
<button type="button" id="clear" title="Forget this conversation">Clear</button>
</div>
</footer>
<script nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>`;
}
