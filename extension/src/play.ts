// Play, Stop and Render: what is pure about them (no VS Code import). The work is done by the
// server's CLI (`csound-assist play`) and request (`csound/render`); see player.ts.

/** Flags Play uses when a file has no <CsOptions> (csoundAssist.playArgs). */
export const DEFAULT_PLAY_ARGS: readonly string[] = ['-odac'];

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
// An escape sequence cut off at the end of a chunk: held back until the next one.
const ANSI_TAIL = /\x1b(?:\[[0-9;?]*)?$/;

/** Strips ANSI colour codes from a stream that arrives in chunks. */
export class AnsiStripper {
  private carry = '';

  push(chunk: string): string {
    let text = this.carry + chunk;
    this.carry = '';
    const tail = ANSI_TAIL.exec(text);
    if (tail) {
      this.carry = tail[0];
      text = text.slice(0, tail.index);
    }
    return text.replace(ANSI, '').replace(/\r\n/g, '\n');
  }

  flush(): string {
    const rest = this.carry.replace(ANSI, '');
    this.carry = '';
    return rest;
  }
}

export interface ErrorLink {
  /** Offsets in the text the link covers (the `FILE:LINE:COL` part). */
  start: number;
  end: number;
  file: string;
  /** 1-based, as printed. */
  line: number;
  column: number;
}

// `csound-assist play` and `render` list errors as `/abs/song.csd:12:3: error: …`.
const ERROR_LINE = /^(\/[^\n:]*?\.(?:csd|orc|sco|udo|inc)|[A-Za-z]:\\[^\n:]*?\.(?:csd|orc|sco|udo|inc)):(\d+):(\d+): error:/gim;

/** The `FILE:LINE:COL: error:` lines of an output text, as links to their place. */
export function errorLinks(text: string): ErrorLink[] {
  const out: ErrorLink[] = [];
  for (const m of text.matchAll(ERROR_LINE)) {
    const file = m[1] ?? '';
    const start = m.index ?? 0;
    out.push({ start, end: start + file.length + 1 + (m[2] ?? '').length + 1 + (m[3] ?? '').length, file, line: Number(m[2]), column: Number(m[3]) });
  }
  return out;
}

/** Quotes arguments so that Python's `shlex.split` gives them back. */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(' ');
}

/** The interpreter's arguments for `csound-assist play FILE --args …`. */
export function playCommand(module: string, file: string, playArgs: readonly string[], extra: readonly string[] = []): string[] {
  const always = extra.length ? ['--extra', shellJoin(extra)] : [];
  // --stop-on-eof: csound ends with the extension host even if it dies without a Stop.
  return ['-m', module, 'play', file, '--args', shellJoin(playArgs), ...always, '--stop-on-eof'];
}

/** Why Play and Render are off in Restricted Mode, for the message the user sees. */
export function untrustedMessage(action: string): string {
  return (
    `Csound Assist: ${action} is disabled in Restricted Mode. It runs csound on the file, and a Csound file ` +
    'can run programs (system_i) and write files. Trust this workspace (Manage Workspace Trust) to use it.'
  );
}

/** `csound/render`'s answer (server/csound_assist/lsp/features/audio.py). */
export interface RenderReply {
  ok: boolean;
  audible: boolean;
  wav: string | null;
  seconds: number;
  seconds_cap: number;
  capped: boolean;
  sample_rate: number | null;
  channels: { peak_dbfs: number | null; rms_dbfs: number | null; clipped_samples: number }[];
  refused: string | null;
  error: string | null;
  problems: { line: number; character: number; message: string }[];
  warnings: string[];
  waveform?: string;
  spectrogram?: string;
  imageError?: string;
}

function db(x: number | null): string {
  return x === null ? '-inf' : x.toFixed(1);
}

/** A render's result as output-channel lines; errors as `FILE:LINE:COL: error:` (clickable). */
export function renderLines(reply: RenderReply, file: string): string[] {
  const lines: string[] = [];
  if (reply.refused) lines.push(reply.refused);
  if (reply.error) lines.push(reply.error);
  if (reply.ok) {
    lines.push(`Rendered ${reply.wav ?? '(not kept)'}: ${reply.seconds.toFixed(2)} s, ${reply.sample_rate ?? '?'} Hz, ${reply.channels.length} channel(s)`);
    reply.channels.forEach((c, i) => lines.push(`  channel ${i + 1}: peak ${db(c.peak_dbfs)} dBFS, RMS ${db(c.rms_dbfs)} dBFS`));
    for (const w of reply.warnings) lines.push(`warning: ${w}`);
  }
  for (const p of reply.problems) lines.push(`${file}:${p.line + 1}:${p.character + 1}: error: ${p.message}`);
  return lines;
}

/** One line for a notification: the levels or why there are none. */
export function renderHeadline(reply: RenderReply): string {
  if (reply.refused) return reply.refused;
  if (!reply.ok) return reply.error ?? 'csound wrote no audio';
  const rms = Math.max(...reply.channels.map((c) => c.rms_dbfs ?? -Infinity));
  const level = Number.isFinite(rms) ? `RMS ${rms.toFixed(1)} dBFS` : 'silent';
  const warn = reply.warnings.length ? ` (${reply.warnings[0]})` : '';
  return `${reply.seconds.toFixed(1)} s, ${level}${warn}`;
}

/** Checks a `csound/render` answer enough to read it; undefined when it is not one. */
export function parseRenderReply(raw: unknown): RenderReply | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.ok !== 'boolean' || !Array.isArray(r.channels) || !Array.isArray(r.warnings) || !Array.isArray(r.problems)) return undefined;
  return raw as RenderReply;
}
