// The checks run by run.mjs, in order, against one code-server page. Each returns a detail string
// or throws. They drive the UI the way a user does: Explorer, keyboard, mouse, Problems panel.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const EDITOR = '.editor-instance .monaco-editor';

/** Polls `fn` until it returns a truthy value or `timeout` ms pass; returns the value. */
async function until(page, what, fn, timeout = 30_000, every = 250) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
    await page.waitForTimeout(every);
  }
}

async function shot(page, shots, name) {
  await page.waitForTimeout(700); // widgets fade in for ~600 ms
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/**
 * Escape until no suggest widget is open. A completion list can arrive after the first Escape
 * (a busy server answers late), and Enter would then accept an item instead of breaking the line.
 */
async function dismissSuggestions(page) {
  const widget = page.locator(`${EDITOR} .suggest-widget.visible`);
  await page.keyboard.press('Escape');
  for (let quiet = 0, i = 0; quiet < 2 && i < 20; i++) {
    await page.waitForTimeout(200);
    if (await widget.count()) {
      await page.keyboard.press('Escape');
      quiet = 0;
    } else {
      quiet++;
    }
  }
}

/** Runs a command from the palette: F1, its title, wait for the row that matches `row`, Enter. */
async function runCommand(page, title, row = title) {
  await page.keyboard.press('F1');
  await page.keyboard.type(title, { delay: 20 });
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: row }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** The chat webview's frame (its document sits in nested iframes): the one that holds the input. */
async function chatFrame(page) {
  return until(page, 'the chat webview', async () => {
    for (const f of page.frames()) {
      if (await f.locator('#input').count().catch(() => 0)) return f;
    }
    return null;
  }, 60_000, 500);
}

async function openFile(page, name) {
  await page.getByRole('treeitem', { name }).first().click({ timeout: 60_000 });
  await until(page, `${name} in the editor`, async () =>
    (await page.locator('.tabs-container .tab.active').innerText().catch(() => '')).includes(name),
  );
  await page.locator(`${EDITOR} .view-lines`).first().waitFor();
}

/** Screen box of the first whole-word occurrence of `word` in the visible editor lines. */
async function wordBox(page, word, nth = 0) {
  return page.evaluate(
    ({ sel, w, nth }) => {
      const root = document.querySelector(`${sel} .view-lines`);
      if (!root) return null;
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      const re = new RegExp(`(^|[^\\w])${w}(?![\\w])`, 'g');
      let seen = 0;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        re.lastIndex = 0;
        for (let m = re.exec(n.data); m; m = re.exec(n.data)) {
          if (seen++ < nth) continue;
          const r = document.createRange();
          const i = m.index + m[1].length;
          r.setStart(n, i);
          r.setEnd(n, i + w.length);
          const b = r.getBoundingClientRect();
          return { x: b.x, y: b.y, w: b.width, h: b.height };
        }
      }
      return null;
    },
    { sel: EDITOR, w: word, nth },
  );
}

async function editorText(page) {
  // The visible lines, in screen order (Monaco renders lines absolutely positioned, not in DOM order).
  return page.evaluate((sel) => {
    const lines = [...document.querySelectorAll(`${sel} .view-lines .view-line`)];
    lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return lines.map((l) => l.textContent.replace(/\u00a0/g, ' ')).join('\n');
  }, EDITOR);
}

async function problemsPanel(page) {
  const panel = page.locator('.markers-panel');
  if (await panel.isVisible().catch(() => false)) return panel;
  await page.keyboard.press('Control+Shift+M'); // toggles: only when not already shown
  await panel.waitFor({ timeout: 15_000 });
  return panel;
}

/** The Problems panel's rows as text (message, source, position). */
async function problemRows(page) {
  return page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => (r.getAttribute('aria-label') || r.textContent || '').replace(/\s+/g, ' ').trim()),
  );
}

async function statusItem(page) {
  return page.locator('#workbench\\.parts\\.statusbar [aria-label^="Csound Assist"]').first();
}

// --- Play / Render / Render & listen -------------------------------------------------------------

const MANUAL_EXAMPLES = '/usr/share/doc/csound-doc/html/examples';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Pids of processes whose command line matches `pattern` (pgrep -f). */
function processes(pattern) {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function focusEditor(page) {
  const lines = page.locator(`${EDITOR} .view-lines`).first();
  const b = await lines.boundingBox();
  if (b) await page.mouse.click(b.x + 40, b.y + 8);
}

/** The text of the output view in the panel (the lines on screen, in order). */
async function outputText(page) {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll('.part.panel .monaco-editor .view-lines .view-line')];
    lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return lines.map((l) => l.textContent.replace(/\u00a0/g, ' ')).join('\n');
  });
}

/** Duration, channels and RMS per channel (dBFS) of a float or 16-bit PCM WAV. */
function wavLevels(buf) {
  let pos = 12;
  let fmt;
  let data;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (id === 'fmt ') fmt = buf.subarray(pos + 8, pos + 8 + size);
    if (id === 'data') data = buf.subarray(pos + 8, Math.min(buf.length, pos + 8 + size));
    pos += 8 + size + (size & 1);
  }
  if (!fmt || !data) throw new Error('not a WAV with fmt and data chunks');
  const tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const rate = fmt.readUInt32LE(4);
  const bits = fmt.readUInt16LE(14);
  const float = tag === 3 || (tag === 0xfffe && fmt.readUInt16LE(24) === 3);
  const step = bits / 8;
  const frames = Math.floor(data.length / step / channels);
  const sums = new Array(channels).fill(0);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const at = (f * channels + c) * step;
      const x = float ? (bits === 64 ? data.readDoubleLE(at) : data.readFloatLE(at)) : data.readInt16LE(at) / 32768;
      sums[c] += x * x;
    }
  }
  return { seconds: frames / rate, channels, rmsDbfs: sums.map((s) => 10 * Math.log10(s / Math.max(1, frames) || 1e-30)) };
}

/** Writes the chat history the server loads for this workspace (before the chat first opens). */
function seedChat(workspace, messages) {
  const python = process.env.CSOUND_ASSIST_PYTHON || path.join(ROOT, '.venv', 'bin', 'python');
  const file = execFileSync(python, ['-c', 'import sys\nfrom csound_assist.ai.chat import history_file\nprint(history_file(sys.argv[1]))', workspace], { encoding: 'utf8' }).trim();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(messages));
}

export const checks = [
  {
    name: 'language',
    required: true,
    async run({ page, shots }) {
      await openFile(page, 'clean-synth.csd');
      const mode = page.locator('#status\\.editor\\.mode');
      await mode.filter({ hasText: 'Csound CSD' }).waitFor({ timeout: 30_000 });
      await shot(page, shots, 'language');
      return (await mode.innerText()).trim();
    },
  },
  {
    name: 'highlighting',
    async run({ page }) {
      // Tokenisation is asynchronous: wait until keywords, numbers and comments get their own colours.
      const colours = await until(page, 'several token colours', async () => {
        const c = await page.evaluate((sel) => {
          const spans = [...document.querySelectorAll(`${sel} .view-lines .view-line span > span`)];
          const colourOf = (word) => {
            const s =
              spans.find((x) => x.textContent.trim() === word) ??
              spans.find((x) => new RegExp(`(^|\\W)${word}(\\W|$)`).test(x.textContent));
            return s ? getComputedStyle(s).color : null;
          };
          return {
            distinct: new Set(spans.map((s) => getComputedStyle(s).color)).size,
            instr: colourOf('instr'),
            endin: colourOf('endin'),
            iFreq: colourOf('iFreq'),
            vco2: colourOf('vco2'),
          };
        }, EDITOR);
        // Keyword, opcode and variable each get their own colour (the opcode list is generated).
        const ok = c.distinct >= 4 && c.instr && c.vco2 && c.iFreq && new Set([c.instr, c.vco2, c.iFreq]).size === 3;
        return ok ? c : null;
      });
      return `${colours.distinct} colours; instr ${colours.instr}, vco2 ${colours.vco2}, iFreq ${colours.iFreq}`;
    },
  },
  {
    name: 'status-ready',
    async run({ page, shots }) {
      const item = await statusItem(page);
      await item.waitFor({ timeout: 30_000 });
      const label = await until(
        page,
        'the status bar to show the server ready',
        async () => {
          const l = (await item.getAttribute('aria-label')) ?? '';
          if (/crashed|not installed/.test(l)) throw new Error(`status bar: ${l}`);
          return /server ready/.test(l) ? l : null;
        },
        120_000,
        500,
      );
      await shot(page, shots, 'status-bar');
      return `${label} | ${(await item.innerText()).trim()}`;
    },
  },
  {
    name: 'status-actions',
    async run({ page, shots }) {
      await (await statusItem(page)).click();
      const picks = page.locator('.quick-input-widget .monaco-list-row');
      const labels = await until(page, 'the status actions', async () => {
        const l = await picks.evaluateAll((rows) => rows.map((r) => (r.textContent || '').trim()));
        return l.some((x) => /Restart the language server/.test(x)) ? l : null;
      });
      await shot(page, shots, 'status-actions');
      await page.keyboard.press('Escape');
      return labels.join(' | ');
    },
  },
  {
    name: 'hover',
    async run({ page, shots, facts }) {
      await page.keyboard.press('Escape');
      const box = await wordBox(page, 'moogladder');
      if (!box) throw new Error('"moogladder" not visible in the editor');
      const hover = page.locator('.monaco-hover:not(.hidden)').first();
      const text = await until(
        page,
        'a hover about moogladder',
        async () => {
          await page.mouse.move(box.x + 1, box.y + box.h / 2);
          await page.mouse.move(box.x + box.w / 2, box.y + box.h / 2, { steps: 5 });
          await hover.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {});
          const t = (await hover.innerText().catch(() => '')).trim();
          return /moogladder/.test(t) && (!facts.summary || t.includes(facts.summary)) ? t : null;
        },
        60_000,
        1_000,
      );
      await shot(page, shots, 'hover');
      return text.replace(/\s+/g, ' ').slice(0, 160);
    },
  },
  {
    name: 'completion',
    async run({ page, shots }) {
      await page.keyboard.press('Escape');
      const box = await wordBox(page, 'pan2');
      if (!box) throw new Error('"pan2" line not visible');
      await page.mouse.click(box.x + 1, box.y + box.h / 2);
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('aSig ', { delay: 40 });
      const widget = page.locator(`${EDITOR} .suggest-widget.visible`);
      const labels = async () =>
        page.locator(`${EDITOR} .suggest-widget.visible .monaco-list-row`).evaluateAll((rows) =>
          rows.map((r) => {
            const icon = [...(r.querySelector('.suggest-icon')?.classList ?? [])].find((c) => c.startsWith('codicon-symbol-'));
            return `${(r.getAttribute('aria-label') || r.textContent || '').trim()} {${icon ?? ''}}`;
          }),
        );
      // A word from the document or a snippet would also say vco2: require a language-server item.
      const fromServer = (r) => /^vco2\b/.test(r) && !/codicon-symbol-(text|snippet)\}/.test(r);
      await until(
        page,
        'the suggestion list',
        async () => {
          if (await widget.isVisible()) return true;
          await page.keyboard.press('Control+Space');
          await widget.waitFor({ timeout: 5_000 }).catch(() => {});
          return widget.isVisible();
        },
        60_000,
        500,
      );
      let rows = await until(page, 'suggestions (not "Loading…")', async () => {
        const r = await labels();
        return r.length && !r.every((x) => /loading/i.test(x)) ? r : null;
      });
      let how = 'listed first';
      if (!rows.some(fromServer)) {
        // The list is virtualised: filter the same list down instead of scrolling it.
        await page.keyboard.type('vco', { delay: 60 });
        how = 'listed after typing "vco"';
        rows = await until(page, 'vco2 in the filtered list', async () => {
          const r = await labels();
          return r.some(fromServer) ? r : null;
        });
      }
      await shot(page, shots, 'completion');
      const first = rows.slice(0, 6).map((r) => r.split(/[,\s]/)[0]);
      const item = rows.find(fromServer);
      await page.keyboard.press('Escape');
      // Leave the file as it was.
      await page.keyboard.press('Control+Z');
      await page.keyboard.press('Control+Z');
      await page.keyboard.press('Control+Z');
      return `vco2 ${how} (${item}); first: ${first.join(' ')}`;
    },
  },
  {
    name: 'editing',
    async run({ page, shots }) {
      // The language configuration: indentation rules for instr/endin and `;` line comments.
      await openFile(page, 'fm-bell.csd');
      const box = await wordBox(page, 'giSine');
      if (!box) throw new Error('"giSine" not visible');
      await page.mouse.click(box.x + 1, box.y + box.h / 2);
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter');
      for (const line of ['instr 9', 'aX = 0', 'endin']) {
        await page.keyboard.type(line, { delay: 20 });
        // Close the suggest widget (and any inline suggestion) first: Enter would accept an item.
        await dismissSuggestions(page);
        if (line !== 'endin') await page.keyboard.press('Enter');
      }
      await page.keyboard.press('Control+/');
      const text = await until(page, 'the typed instrument', async () => {
        const t = await editorText(page);
        return /instr 9\n[ \t]+aX = 0\n; endin/.test(t) ? t : null;
      }, 20_000);
      await shot(page, shots, 'editing');
      const block = /instr 9\n[ \t]+aX = 0\n; endin/.exec(text)[0];
      for (let i = 0; i < 8; i++) await page.keyboard.press('Control+Z');
      return JSON.stringify(block);
    },
  },
  {
    name: 'diagnostic',
    required: true,
    async run({ page, shots }) {
      await openFile(page, 'mistakes.csd');
      await problemsPanel(page);
      // The compiler's own words (Csound's parser error) must reach the Problems panel.
      const fromCompiler = (x) => /moogladdr/.test(x) && /(csound: |T_IDENT|syntax error)/i.test(x);
      const rows = await until(page, 'a compiler diagnostic about moogladdr in Problems', async () => {
        const r = await problemRows(page);
        return r.some(fromCompiler) ? r : null;
      }, 90_000, 500);
      await shot(page, shots, 'problems');
      return `${rows.length} rows: ${rows.filter(fromCompiler).join(' / ').slice(0, 200)}`;
    },
  },
  {
    name: 'quick-fix',
    async run({ page, shots }) {
      const box = await wordBox(page, 'moogladdr');
      if (!box) throw new Error('"moogladdr" not visible in the editor');
      await page.mouse.click(box.x + box.w / 2, box.y + box.h / 2);
      const menu = page.locator('.action-widget');
      const item = menu.locator('.monaco-list-row', { hasText: 'moogladder' }).first();
      await until(page, 'a quick fix offering moogladder', async () => {
        if (await item.isVisible().catch(() => false)) return true;
        await page.keyboard.press('Control+.');
        await item.waitFor({ timeout: 5_000 }).catch(() => {});
        return item.isVisible().catch(() => false);
      }, 60_000, 500);
      const label = (await item.innerText()).trim();
      await shot(page, shots, 'quick-fix-menu');
      await item.click({ force: true, timeout: 10_000 });
      await until(page, 'the edit to apply', async () => /\bmoogladder\b/.test(await editorText(page)));
      await problemsPanel(page);
      await until(page, 'the moogladdr problem to disappear', async () => {
        const r = await problemRows(page);
        return !r.some((x) => /moogladdr/.test(x));
      }, 60_000, 500);
      await shot(page, shots, 'quick-fix-applied');
      return `applied "${label}"`;
    },
  },
  {
    name: 'fix-all',
    async run({ page, shots }) {
      await problemsPanel(page);
      const before = (await problemRows(page)).length;
      await page.locator(`${EDITOR} .view-lines`).first().click();
      await runCommand(page, 'Csound Assist: Fix All Problems', 'Fix All Problems in File');
      const after = await until(page, 'fewer problems after Fix All', async () => {
        const n = (await problemRows(page)).length;
        return n < before ? n : null;
      }, 60_000, 500);
      await shot(page, shots, 'fix-all');
      return `${before} → ${after} problems`;
    },
  },
  {
    name: 'restart-on-settings',
    async run({ page, workspace, readLog }) {
      // Two settings edits in quick succession: one debounced restart, and the server comes back.
      const count = () => (readLog().match(/Restarting the server: settings changed/g) ?? []).length;
      const before = count();
      // Workspace settings, as a user editing .vscode/settings.json would.
      const settingsFile = path.join(workspace, '.vscode', 'settings.json');
      mkdirSync(path.dirname(settingsFile), { recursive: true });
      const edit = (patch) => {
        const s = existsSync(settingsFile) ? JSON.parse(readFileSync(settingsFile, 'utf8')) : {};
        writeFileSync(settingsFile, JSON.stringify({ ...s, ...patch }, null, 2));
      };
      edit({ 'csoundAssist.model.backend': 'ollama' });
      await page.waitForTimeout(200);
      edit({ 'csoundAssist.model.backend': 'llama-cpp' });
      await until(page, 'the restart', async () => count() > before, 30_000, 500);
      const item = await statusItem(page);
      await until(page, 'the server ready again', async () => /server ready/.test((await item.getAttribute('aria-label')) ?? ''), 120_000, 500);
      await page.waitForTimeout(2_000); // a second, undebounced restart would show up by now
      const restarts = count() - before;
      if (restarts !== 1) throw new Error(`${restarts} restarts for two quick edits`);
      return 'one restart for two edits; server ready again';
    },
  },
  {
    name: 'play-stop',
    async run({ page, shots, workspace }) {
      // Play on a manual example (one without <CsOptions>, so csoundAssist.playArgs apply: run.mjs
      // sets them to Csound's real-time null driver, as the machine has no sound card).
      cpSync(path.join(MANUAL_EXAMPLES, 'pinker.csd'), path.join(workspace, 'pinker.csd'));
      await openFile(page, 'pinker.csd');
      const playing = page.locator('#workbench\\.parts\\.statusbar', { hasText: 'csound: pinker.csd' });
      // The first check of a run may come before the extension has registered its commands.
      await until(page, 'Play (Alt+.) to start', async () => {
        await focusEditor(page);
        await page.keyboard.press('Alt+.');
        return playing.waitFor({ timeout: 10_000 }).then(() => true, () => false);
      }, 40_000, 0);
      const pids = await until(page, 'csound playing pinker.csd', async () => {
        const found = processes('bin/csound .*pinker\\.csd');
        return found.length ? found : null;
      }, 30_000, 250);
      const live = await until(page, "csound's messages in the output channel", async () =>
        /SECTION 1/.test(await outputText(page)) ? outputText(page) : null, 30_000, 500);
      await shot(page, shots, 'play');
      await page.keyboard.press('Alt+Escape');
      await until(page, 'csound and the CLI to end', async () =>
        !processes('bin/csound .*pinker\\.csd').length && !processes('csound_assist play .*pinker\\.csd').length, 15_000, 250);
      await playing.waitFor({ state: 'hidden', timeout: 10_000 });
      await until(page, 'the stop in the output', async () => /■ stopped/.test(await outputText(page)), 10_000);
      await shot(page, shots, 'stopped');
      return `csound pid ${pids.join(',')} played, stopped and gone; output: ${live.split('\n').filter((l) => /rtaudio|SECTION/.test(l)).join(' | ')}`;
    },
  },
  {
    name: 'render',
    async run({ page, shots, workspace }) {
      // Render to WAV next to the file (the server's sandboxed render), then read the WAV here.
      const wav = path.join(workspace, 'pinker.wav');
      rmSync(wav, { force: true });
      await page.locator('.tabs-container .tab', { hasText: 'pinker.csd' }).first().click();
      await runCommand(page, 'Csound Assist: Render to WAV', 'Render to WAV');
      await until(page, 'pinker.wav written', async () => existsSync(wav) && statSync(wav).size > 1000, 60_000, 500);
      const levels = wavLevels(readFileSync(wav));
      const loudest = Math.max(...levels.rmsDbfs);
      if (!(loudest > -60)) throw new Error(`RMS ${levels.rmsDbfs.join(', ')} dBFS: not above -60`);
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'pinker.csd:' }).first();
      await toast.waitFor({ timeout: 15_000 });
      await until(page, 'the levels in the output channel', async () => /Rendered .*pinker\.wav/.test(await outputText(page)), 15_000);
      await shot(page, shots, 'render');
      return `${levels.seconds.toFixed(2)} s, ${levels.channels} ch, RMS ${levels.rmsDbfs.map((x) => x.toFixed(1)).join(' / ')} dBFS; toast: ${(await toast.innerText()).split('\n')[0]}`;
    },
  },
  {
    name: 'error-link',
    async run({ page, shots, workspace }) {
      // A run-time error: the output lists it as FILE:LINE:COL; a Ctrl+click opens the file there.
      const name = 'init-error.csd';
      const text = '<CsoundSynthesizer>\n<CsInstruments>\nsr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n\n' +
        'instr 1\n  aSig oscili 0.3, 440, 99\n  outs aSig, aSig\nendin\n</CsInstruments>\n<CsScore>\ni 1 0 0.5\n</CsScore>\n</CsoundSynthesizer>\n';
      writeFileSync(path.join(workspace, name), text);
      const line = text.split('\n').findIndex((l) => l.includes('oscili')) + 1;
      await openFile(page, name);
      await focusEditor(page);
      await page.keyboard.press('Alt+.');
      const where = `${name}:${line}:1: error:`;
      await until(page, `"${where}" in the output`, async () => (await outputText(page)).includes(where), 30_000, 500);
      // Leave the file, then follow the link back to it.
      await openFile(page, 'clean-synth.csd');
      // The editor marks a link it detected (ours or its own path:line:col one) with .detected-link.
      // Monaco renders a long token in pieces of ~50 characters, so a long path is several
      // .detected-link spans: find the output line by its whole text, then take its last link piece.
      const row = page.locator('.part.panel .monaco-editor .view-line', { hasText: `${name}:${line}:1: error:` }).last();
      const link = row.locator('.detected-link').last();
      await link.waitFor({ timeout: 15_000 });
      const linked = (await row.locator('.detected-link').allInnerTexts()).join('').trim();
      await link.click({ modifiers: ['Control'] });
      await until(page, `${name} active`, async () => (await page.locator('.tabs-container .tab.active').innerText().catch(() => '')).includes(name), 15_000);
      const position = await until(page, `the cursor on line ${line}`, async () => {
        const t = (await page.locator('#status\\.editor\\.selection').innerText().catch(() => '')).trim();
        return new RegExp(`^Ln ${line}, Col 1\\b`).test(t) ? t : null;
      }, 10_000);
      await shot(page, shots, 'error-link');
      return `link "${linked}" → ${name} at ${position}`;
    },
  },
  {
    name: 'live-eval',
    async run({ page, shots, workspace }) {
      // Start Live Session (Play with --port), then Evaluate (Ctrl+Enter) the instrument under the
      // cursor: the answer shows after it inline — compiled, or the error on its line.
      const header = 'sr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n';
      writeFileSync(path.join(workspace, 'live.csd'), '<CsoundSynthesizer>\n<CsInstruments>\n' + header +
        'instr 1\n  aSig poscil 0.1, 440\n  outs aSig, aSig\nendin\n</CsInstruments>\n<CsScore>\nf 0 120\n</CsScore>\n</CsoundSynthesizer>\n');
      writeFileSync(path.join(workspace, 'live-more.orc'), 'instr 2\n  aSig vco2 0.1, 220\n  outs aSig, aSig\nendin\n\ninstr 3\n  aSig oscilz 0.1, 330\n  outs aSig, aSig\nendin\n');
      await openFile(page, 'live.csd');
      await runCommand(page, 'Csound Assist: Start Live Session', 'Start Live Session');
      await until(page, 'the UDP server', async () => /UDP server started on port \d+/.test(await outputText(page)), 30_000, 500);
      await openFile(page, 'live-more.orc');
      const after = () => page.evaluate(() => [...document.querySelectorAll('.view-lines span')]
        .map((e) => getComputedStyle(e, '::after').content).filter((c) => c && c !== 'none' && c !== 'normal').join(' '));
      const box = await wordBox(page, 'vco2');
      await page.mouse.click(box.x + 2, box.y + box.h / 2);
      await page.keyboard.press('Control+Enter');
      const good = await until(page, '"compiled" after instr 2', async () => (/✓ compiled/.test(await after()) ? after() : null), 10_000, 250);
      const bad = await wordBox(page, 'oscilz');
      await page.mouse.click(bad.x + 2, bad.y + bad.h / 2);
      await page.keyboard.press('Control+Enter');
      const error = await until(page, 'the error after instr 3', async () => (/✗ line 7:/.test(await after()) ? after() : null), 10_000, 250);
      await shot(page, shots, 'live-eval');
      await runCommand(page, 'Csound Assist: Stop Playing', 'Stop Playing');
      await until(page, 'the live session to end', async () => !processes('bin/csound .*live\\.csd').length, 15_000, 250);
      return `${good.replace(/"/g, '')} | ${error.replace(/"/g, '')}`;
    },
  },
  {
    name: 'render-listen',
    async run({ page, shots, workspace }) {
      // A CSD answer in the chat (the conversation is seeded as the server stores it: the small
      // test model cannot write a working CSD), then Render & listen under its code block.
      const csd = readFileSync(path.join(MANUAL_EXAMPLES, 'moogladder.csd'), 'utf8');
      seedChat(workspace, [
        { role: 'user', content: '/generate a resonant lowpass sweep on a sawtooth' },
        { role: 'assistant', content: `Here is a CSD that sweeps moogladder's cutoff:\n\n\`\`\`csound\n${csd.trim()}\n\`\`\`\n` },
      ]);
      await page.keyboard.press('Escape');
      await runCommand(page, 'Csound Assist: Open Chat', 'Open Chat');
      const frame = await chatFrame(page);
      const button = frame.locator('#transcript [data-code="listen"]').first();
      await button.waitFor({ timeout: 30_000 });
      await button.click();
      const done = frame.locator('#transcript .listen.done').first();
      await done.waitFor({ timeout: 60_000 });
      const media = await until(page, 'the player and both images loaded', async () => {
        const m = await done.evaluate((el) => {
          const audio = el.querySelector('audio');
          const img = (c) => el.querySelector(`img.${c}`);
          return {
            src: audio?.getAttribute('src') ?? '',
            duration: audio ? audio.duration : NaN,
            wave: img('waveform')?.naturalWidth ?? 0,
            spec: img('spectrogram')?.naturalWidth ?? 0,
            levels: el.querySelector('.levels')?.textContent ?? '',
          };
        });
        return m.duration > 0 && m.wave > 0 && m.spec > 0 ? m : null;
      }, 30_000, 500);
      await done.scrollIntoViewIfNeeded();
      await shot(page, shots, 'render-listen');
      await frame.locator('#clear').click();
      return `audio ${media.duration.toFixed(1)} s from ${media.src.split('/').slice(0, 3).join('/')}/…; waveform ${media.wave}px, spectrogram ${media.spec}px; ${media.levels}`;
    },
  },
  {
    name: 'chat',
    async run({ page, shots }) {
      // The chat view from the command palette; "/help" is answered by the server without a model.
      await page.keyboard.press('Escape');
      await runCommand(page, 'Csound Assist: Open Chat', 'Open Chat');
      const frame = await chatFrame(page);
      await frame.locator('#input').fill('/help');
      await frame.locator('#input').press('Enter');
      const answer = frame.locator('#transcript .entry.assistant.done').last();
      const text = await until(page, 'the /help answer rendered', async () => {
        const t = (await answer.innerText().catch(() => '')).trim();
        return /\/generate/.test(t) && /\/explain/.test(t) ? t : null;
      }, 60_000, 500);
      const question = (await frame.locator('#transcript .entry.user').last().innerText()).trim();
      if (question !== '/help') throw new Error(`the question shows as ${JSON.stringify(question)}`);
      if (await frame.locator('#input').inputValue()) throw new Error('the input was not cleared after sending');
      const chips = (await frame.locator('#chips').innerText()).replace(/\s+/g, ' ').trim();
      await shot(page, shots, 'chat');
      // Clear: the panel asks the server to forget the conversation and empties the transcript.
      await frame.locator('#clear').click();
      await until(page, 'the transcript cleared', async () => (await frame.locator('#transcript .entry').count()) === 0, 15_000);
      return `answer: ${text.replace(/\s+/g, ' ').slice(0, 80)}…; chips: ${chips}; cleared`;
    },
  },
  {
    name: 'explain-in-chat',
    async run({ page, shots }) {
      // Explain Selection with the cursor in instr 1 (no selection): the turn lands in the chat
      // panel as "Explain: instr 1" and its answer streams there; Stop ends it if the model is slow.
      // Its tab is still open from the first checks (the sidebar shows the chat, not the Explorer).
      await page.locator('.tabs-container .tab', { hasText: 'clean-synth.csd' }).first().click();
      await until(page, 'clean-synth.csd in the editor', async () =>
        (await page.locator('.tabs-container .tab.active').innerText().catch(() => '')).includes('clean-synth.csd'));
      const box = await wordBox(page, 'moogladder');
      if (!box) throw new Error('"moogladder" not visible in the editor');
      await page.mouse.click(box.x + box.w / 2, box.y + box.h / 2);
      await runCommand(page, 'Csound Assist: Explain Selection', 'Explain Selection');
      const frame = await chatFrame(page);
      const question = await until(page, 'the explain turn in the chat', async () => {
        const t = (await frame.locator('#transcript .entry.user').last().innerText().catch(() => '')).trim();
        return t.startsWith('Explain:') ? t : null;
      }, 30_000, 500);
      if (question !== 'Explain: instr 1') throw new Error(`the question shows as ${JSON.stringify(question)}`);
      const answer = frame.locator('#transcript .entry.assistant').last();
      const ended = async () => /\b(done|error|stopped)\b/.exec((await answer.getAttribute('class').catch(() => '')) ?? '')?.[1];
      let how = await until(page, 'the answer to start or end', async () =>
        (await ended()) ?? ((await answer.innerText().catch(() => '')).trim() ? 'streaming' : null), 60_000, 500);
      if (how === 'streaming') {
        await page.waitForTimeout(1_500);
        if (!(await ended())) await frame.locator('#stop').click({ timeout: 5_000 }).catch(() => {});
        how = await until(page, 'the answer to end', ended, 60_000, 500);
      }
      if (await page.locator('.tabs-container .tab', { hasText: 'Preview' }).count()) throw new Error('a Markdown preview opened as well');
      await shot(page, shots, 'explain-in-chat');
      const text = (await answer.innerText()).replace(/\s+/g, ' ').trim();
      await frame.locator('#clear').click();
      return `"${question}" → ${how}: ${text.slice(0, 100)}`;
    },
  },
  {
    name: 'search-examples',
    async run({ page, shots }) {
      // The workspace's .csound-assist.toml (run.mjs) makes the server index the workspace's own
      // files at start with hashed embeddings; until that index is built a search finds nothing,
      // so the search is repeated until a result lists clean-synth.csd (it uses moogladder).
      const widget = page.locator('.quick-input-widget');
      const rows = widget.locator('.monaco-list-row');
      const row = rows.filter({ hasText: 'clean-synth.csd' }).first();
      const empty = page.locator('.notifications-toasts .notification-toast', { hasText: 'no examples' });
      const label = await until(page, 'a Search Examples result for moogladder', async () => {
        await page.keyboard.press('Escape');
        await runCommand(page, 'Csound Assist: Search Examples', 'Search Examples');
        const input = widget.locator('input').first();
        // The input box's prompt, not the palette row that opened it.
        await until(page, 'the search input box', async () => /Words, opcodes or code/.test(await widget.innerText().catch(() => '')), 15_000);
        await input.fill('moogladder');
        await input.press('Enter');
        const found = await until(page, 'results or a message', async () => {
          if (await row.isVisible().catch(() => false)) return 'row';
          if (await empty.first().isVisible().catch(() => false)) return 'empty';
          return null;
        }, 20_000).catch(() => 'nothing');
        if (found === 'row') return (await row.innerText()).replace(/\s+/g, ' ').trim();
        // Not indexed yet: close the message and try again.
        if (found === 'empty') await empty.first().locator('.codicon-notifications-clear').click().catch(() => {});
        return null;
      }, 120_000, 2_000);
      if (!/instr|whole file/.test(label) || !/lines? \d+/.test(label)) throw new Error(`result row: ${label}`);
      await shot(page, shots, 'search-examples');
      await row.click();
      await until(page, 'clean-synth.csd opened at the result', async () =>
        (await page.locator('.tabs-container .tab.active').innerText().catch(() => '')).includes('clean-synth.csd') &&
        (await page.locator(`${EDITOR} .selected-text`).count()) > 0, 15_000);
      return label.slice(0, 160);
    },
  },
  {
    name: 'offer-install',
    scenario: 'no-server',
    async run({ page, shots }) {
      // An interpreter without csound_assist: the status bar says so and one click offers the install.
      const item = await statusItem(page);
      await until(page, 'the status bar to say not installed', async () =>
        /server not installed/.test((await item.getAttribute('aria-label')) ?? ''), 60_000, 500);
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'csound_assist' }).first();
      await toast.waitFor({ timeout: 30_000 });
      const button = toast.getByRole('button', { name: 'Install Server' });
      await button.waitFor({ timeout: 10_000 });
      await shot(page, shots, 'offer-install');
      await item.click();
      const first = page.locator('.quick-input-widget .monaco-list-row').first();
      await first.waitFor({ timeout: 10_000 });
      const label = (await first.innerText()).trim();
      if (!/Install the language server/.test(label)) throw new Error(`first status action: ${label}`);
      await page.keyboard.press('Escape');
      return `toast offers "Install Server"; status menu starts with "${label.split('\n')[0]}"`;
    },
  },
  {
    name: 'install-server',
    scenario: 'no-server',
    async run({ page, shots, readLog }) {
      // One click from the status bar: a virtualenv with the server pip-installed from the .vsix.
      const item = await statusItem(page);
      await item.click();
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Install the language server' }).first().click();
      const useIt = page.locator('.notifications-toasts .notification-toast', { hasText: 'the server is installed in' })
        .getByRole('button', { name: 'Use It' });
      await until(page, 'the install to finish', async () => {
        if (/Installing the server failed/.test(readLog())) throw new Error(readLog().split('\n').filter((l) => /pip|fail/i.test(l)).slice(-5).join(' | '));
        return useIt.isVisible().catch(() => false);
      }, 480_000, 1_000);
      await shot(page, shots, 'install-done');
      await useIt.click();
      const label = await until(page, 'the server ready from the new environment', async () => {
        const l = (await item.getAttribute('aria-label')) ?? '';
        return /server ready/.test(l) ? l : null;
      }, 180_000, 1_000);
      await shot(page, shots, 'install-ready');
      const venv = /Server environment ready: (\S+)/.exec(readLog())?.[1];
      return `${label}; ${venv}`;
    },
  },
];
