// The chat webview's script: DOM wiring only. The extension host renders every piece of HTML
// (chat/render.ts, model text through markdown.ts) and owns the transcript; this file places the
// HTML, forwards clicks and keys as messages, and keeps the typed draft across reloads.

import type { ChipKey, CodeAction, FromWebview, ToWebview } from '../messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const scroller = byId<HTMLElement>('scroller');
const transcript = byId<HTMLDivElement>('transcript');
const input = byId<HTMLTextAreaElement>('input');
const sendButton = byId<HTMLButtonElement>('send');
const stopButton = byId<HTMLButtonElement>('stop');
const clearButton = byId<HTMLButtonElement>('clear');
const chips = byId<HTMLDivElement>('chips');
const hints = byId<HTMLUListElement>('hints');
const notice = byId<HTMLDivElement>('notice');
let busy = false;

function post(message: FromWebview): void {
  api.postMessage(message);
}

function saveDraft(): void {
  api.setState({ draft: input.value });
}

function showNotice(text: string): void {
  notice.textContent = text;
  notice.hidden = !text;
}

/** Slash-command hints while the input is a bare `/word`. */
function updateHints(): void {
  const v = input.value;
  const show = /^\/\w*$/.test(v);
  hints.hidden = !show;
  if (!show) return;
  let any = false;
  for (const li of Array.from(hints.children) as HTMLElement[]) {
    const cmd = li.querySelector<HTMLElement>('[data-hint]')?.dataset.hint ?? '';
    li.hidden = !cmd.startsWith(v);
    any ||= !li.hidden;
  }
  hints.hidden = !any;
}

function setBusy(value: boolean): void {
  busy = value;
  sendButton.hidden = busy;
  stopButton.hidden = !busy;
}

function submit(): void {
  const text = input.value;
  if (!text.trim()) return;
  if (busy) {
    showNotice('Wait for the answer, or press Stop.');
    return;
  }
  hints.hidden = true;
  post({ type: 'send', text });
}

function nearBottom(): boolean {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
}

function fromHtml(html: string): Element | null {
  const t = document.createElement('template');
  t.innerHTML = html; // HTML rendered by the extension host (escaped model output, CSP: no script)
  return t.content.firstElementChild;
}

function placeEntry(id: string, html: string): void {
  const follow = nearBottom();
  const node = fromHtml(html);
  if (!node) return;
  const old = Array.from(transcript.children).find((c) => (c as HTMLElement).dataset.entry === id);
  if (old) old.replaceWith(node);
  else transcript.appendChild(node);
  if (follow) scroller.scrollTop = scroller.scrollHeight;
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'state':
      transcript.innerHTML = m.entries.map((e) => e.html).join('');
      chips.innerHTML = m.chips;
      setBusy(m.busy);
      scroller.scrollTop = scroller.scrollHeight;
      break;
    case 'entry':
      placeEntry(m.entry.id, m.entry.html);
      break;
    case 'chips':
      chips.innerHTML = m.html;
      break;
    case 'busy':
      setBusy(m.busy);
      break;
    case 'accepted':
      input.value = '';
      saveDraft();
      showNotice('');
      break;
    case 'notice':
      showNotice(m.text);
      break;
    case 'restore':
      if (!input.value.trim()) {
        input.value = m.text;
        saveDraft();
      }
      break;
  }
});

input.addEventListener('input', () => {
  saveDraft();
  updateHints();
});

input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
  } else if (e.key === 'Escape') {
    hints.hidden = true;
  }
});

sendButton.addEventListener('click', submit);
stopButton.addEventListener('click', () => post({ type: 'stop' }));
clearButton.addEventListener('click', () => post({ type: 'clear' }));

document.addEventListener('click', (e) => {
  const target = e.target as Element | null;
  const hint = target?.closest<HTMLElement>('[data-hint]');
  if (hint) {
    input.value = `${hint.dataset.hint ?? ''} `;
    saveDraft();
    updateHints();
    input.focus();
    return;
  }
  const el = target?.closest<HTMLElement>('[data-action]');
  if (!el) return;
  const d = el.dataset;
  // The host checks every field (messages.ts parseFromWebview).
  switch (d.action) {
    case 'code':
      post({ type: 'code', action: d.code as CodeAction, turn: d.turn ?? '', block: Number(d.block) });
      break;
    case 'source':
      post({ type: 'source', turn: d.turn ?? '', index: Number(d.index) });
      break;
    case 'feedback':
      post({ type: 'feedback', turn: d.turn ?? '', verdict: d.verdict === 'down' ? 'down' : 'up' });
      break;
    case 'chip':
      post({ type: 'chip', chip: d.chip as ChipKey });
      break;
  }
});

const saved = api.getState() as { draft?: unknown } | undefined;
if (typeof saved?.draft === 'string') input.value = saved.draft;
updateHints();
post({ type: 'ready' });
