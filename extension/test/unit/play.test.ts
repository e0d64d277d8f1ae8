import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AnsiStripper, errorLinks, parseRenderReply, playCommand, renderHeadline, renderLines, shellJoin, untrustedMessage, type RenderReply } from '../../src/play';
import { readSettings } from '../../src/settings';

test('ANSI codes are stripped even when a chunk ends inside one', () => {
  const s = new AnsiStripper();
  assert.equal(s.push('\x1b[mSECTION 1:\r\n\x1b[1'), 'SECTION 1:\n');
  assert.equal(s.push(';31mINIT ERROR\x1b[0m\n'), 'INIT ERROR\n');
  assert.equal(s.push('done\x1b'), 'done');
  assert.equal(s.flush(), '\x1b');
});

test('error lines become links covering FILE:LINE:COL', () => {
  const text = 'SECTION 1:\n/tmp/ws/song.csd:12:3: error: init error in instr 1 (oscili): Invalid ftable\n' +
    'not /tmp/x.txt:1:1: error: no\n/tmp/a b/pair.orc:4:1: error: syntax\n';
  const links = errorLinks(text);
  assert.deepEqual(links.map((l) => [l.file, l.line, l.column]), [['/tmp/ws/song.csd', 12, 3], ['/tmp/a b/pair.orc', 4, 1]]);
  const first = links[0]!;
  assert.equal(text.slice(first.start, first.end), '/tmp/ws/song.csd:12:3');
  assert.deepEqual(errorLinks('C:\\music\\song.csd:2:5: error: x').map((l) => l.file), ['C:\\music\\song.csd']);
});

test('play arguments survive shlex.split', () => {
  assert.equal(shellJoin(['-odac', '-+rtaudio=null', '-B', '512']), '-odac -+rtaudio=null -B 512');
  assert.equal(shellJoin(["it's", 'a b']), `'it'"'"'s' 'a b'`);
  assert.deepEqual(playCommand('csound_assist', '/w/s.csd', ['-odac']), ['-m', 'csound_assist', 'play', '/w/s.csd', '--args', '-odac', '--stop-on-eof']);
});

test('playArgs setting: a list of strings, the default otherwise', () => {
  const read = (v: unknown) => readSettings((k) => (k === 'playArgs' ? v : undefined));
  assert.deepEqual(read(undefined).settings.playArgs, ['-odac']);
  assert.deepEqual(read([' -odac ', '', '-B512']).settings.playArgs, ['-odac', '-B512']);
  const bad = read('-odac');
  assert.deepEqual(bad.settings.playArgs, ['-odac']);
  assert.match(bad.problems[0] ?? '', /csoundAssist\.playArgs: expected a list of csound flags/);
});

const REPLY: RenderReply = {
  ok: true, audible: true, wav: '/w/song.wav', seconds: 2, seconds_cap: 30, capped: false, sample_rate: 44100,
  channels: [{ peak_dbfs: -6.02, rms_dbfs: -9.03, clipped_samples: 0 }, { peak_dbfs: null, rms_dbfs: null, clipped_samples: 0 }],
  refused: null, error: null, problems: [{ line: 9, character: 0, message: 'init error in instr 1' }], warnings: ['csound reported 1 error(s) while rendering'],
};

test('render results read as lines with clickable errors, and as one headline', () => {
  const lines = renderLines(REPLY, '/w/song.csd');
  assert.equal(lines[0], 'Rendered /w/song.wav: 2.00 s, 44100 Hz, 2 channel(s)');
  assert.equal(lines[1], '  channel 1: peak -6.0 dBFS, RMS -9.0 dBFS');
  assert.equal(lines[2], '  channel 2: peak -inf dBFS, RMS -inf dBFS');
  assert.equal(lines.at(-1), '/w/song.csd:10:1: error: init error in instr 1');
  assert.equal(errorLinks(lines.join('\n')).length, 1);
  assert.equal(renderHeadline(REPLY), '2.0 s, RMS -9.0 dBFS (csound reported 1 error(s) while rendering)');
  const refused = { ...REPLY, ok: false, refused: "not rendered: 'system_i' at line 3 runs external programs" };
  assert.equal(renderHeadline(refused), refused.refused);
  assert.equal(renderLines(refused, '/w/song.csd')[0], refused.refused);
  assert.equal(parseRenderReply({ ok: true }), undefined);
  assert.equal(parseRenderReply(REPLY), REPLY);
});

test('the untrusted-workspace message says why', () => {
  assert.match(untrustedMessage('Play'), /Play is disabled in Restricted Mode.*run programs.*Trust this workspace/);
});
