"""The sandboxed render and Play's command line, with the real csound on real CSDs."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csound_assist.audio import analyze_wav, play_command, render
from csound_assist.audio.render import RenderError, has_options
from tests.helpers import csd, run_cli

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")

TONE = "instr 1\n  a1 poscil {amp}, 440\n  outs a1, a1*0.5\nendin"


def test_audible_render_measures_both_channels(tmp_path: Path) -> None:
    out = tmp_path / "tone.wav"
    result = render(csd(TONE.format(amp=0.5), sco="i 1 0 1.5"), 10, out)
    assert result.ok and result.audible and result.wav == out and out.is_file()
    assert result.seconds == pytest.approx(1.5, abs=0.01) and not result.capped
    left, right = result.stats.channels
    assert left.peak_dbfs == pytest.approx(-6.02, abs=0.1)
    assert left.rms_dbfs == pytest.approx(-9.03, abs=0.1)
    assert right.rms_dbfs == pytest.approx(left.rms_dbfs - 6.02, abs=0.1)
    assert result.warnings == []
    again = analyze_wav(out)  # the file on disk says the same
    assert again.channels[0].rms == pytest.approx(left.rms)


def test_silent_clipping_and_nan_are_warned() -> None:
    silent = render(csd(TONE.format(amp=0.0001)), 5)
    assert silent.ok and not silent.audible and any("silent" in w for w in silent.warnings)
    loud = render(csd(TONE.format(amp=2)), 5)
    assert loud.ok and loud.stats.channels[0].clipped > 0
    assert loud.stats.channels[0].peak_dbfs == pytest.approx(6.02, abs=0.1)
    assert any(w.startswith("clipping: channel 1") for w in loud.warnings)
    nan = render(csd("instr 1\n  a1 = sqrt(a(-1))\n  outs a1, a1\nendin"), 5)
    assert nan.ok and nan.stats.nonfinite > 0 and not nan.audible
    assert any("NaN" in w for w in nan.warnings)


def test_zero_length_score_renders_empty_and_is_not_audible() -> None:
    result = render(csd('instr 1\n  prints "hello"\nendin', sco="i 1 0 0"), 5)
    assert result.ok and result.seconds == 0 and not result.audible
    assert result.warnings == ["no audio: the score lasts 0 s (the file may only print values)"]
    assert "hello" in result.output


def test_long_score_is_cut_at_the_cap_and_the_wav_is_whole(tmp_path: Path) -> None:
    text = csd(TONE.format(amp=0.3), sco="i 1 0 3600")
    result = render(text, 2, tmp_path / "cut.wav")
    assert result.ok and result.capped and result.seconds == pytest.approx(2, abs=0.01)
    assert result.wall_seconds < 15
    assert analyze_wav(tmp_path / "cut.wav").seconds == pytest.approx(2, abs=0.01)


def test_refused_file_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = csd(f'instr 1\n  ires system_i 1, "touch {marker}"\nendin')
    result = render(text, 2, tmp_path / "x.wav")
    assert result.refused is not None and not result.ok and result.returncode is None
    assert "system_i" in result.refused.message()
    assert not marker.exists() and not (tmp_path / "x.wav").exists()


def test_hung_csound_is_killed_at_the_wall_timeout() -> None:
    hang = csd("instr 1\n  i1 = 0\n  top:\n  i1 += 1\n  igoto top\nendin")
    start = time.perf_counter()
    result = render(hang, 5, timeout=2)
    assert result.timed_out and not result.ok and "wall-clock" in (result.error or "")
    assert time.perf_counter() - start < 10
    left = subprocess.run(["pgrep", "-f", "csound-assist-render-"], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def _line(text: str, needle: str) -> int:
    return next(i for i, t in enumerate(text.split("\n")) if needle in t)


def test_compile_error_and_runtime_error_are_placed_on_their_lines() -> None:
    text = csd("instr 1\n  a1 oscilz 0.5, 440\n  outs a1, a1\nendin")
    broken = render(text, 2)
    assert not broken.ok and broken.problems and broken.problems[0].line == _line(text, "oscilz")
    assert f"line {_line(text, 'oscilz') + 1}" in (broken.error or "")
    text = csd("instr 1\n  a1 oscili 0.5, 440, 99\n  outs a1, a1\nendin")
    init = render(text, 2)
    assert any(p.line == _line(text, "oscili") and "init error" in p.message
               for p in init.problems)


def test_orc_and_sco_pair_render_together(tmp_path: Path) -> None:
    orc = tmp_path / "pair.orc"
    orc.write_text("sr = 44100\nksmps = 32\nnchnls = 1\n0dbfs = 1\n"
                   "instr 1\n  a1 poscil 0.25, 220\n  out a1\nendin\n")
    (tmp_path / "pair.sco").write_text("i 1 0 0.5\n")
    for source in (orc, tmp_path / "pair.sco"):
        result = render(source, 5)
        assert result.ok and len(result.stats.channels) == 1, result.error
        assert result.seconds == pytest.approx(0.5, abs=0.01)
        assert result.stats.channels[0].peak_dbfs == pytest.approx(-12.04, abs=0.1)
    lone = tmp_path / "lone.sco"
    lone.write_text("i 1 0 1\n")
    assert "no orchestra" in (render(lone, 5).error or "")


def test_input_files_resolve_next_to_the_document(tmp_path: Path) -> None:
    made = render(csd(TONE.format(amp=0.5), sco="i 1 0 0.5"), 5, tmp_path / "in.wav")
    assert made.ok
    player = tmp_path / "player.csd"
    player.write_text(csd('instr 1\n  a1, a2 diskin2 "in.wav", 1\n  outs a1, a2\nendin',
                          sco="i 1 0 0.5"))
    result = render(player, 5)
    assert result.ok and result.audible, result.error
    assert result.stats.channels[0].peak_dbfs == pytest.approx(-6.02, abs=0.1)


def test_cli_render_prints_levels_and_exit_codes(tmp_path: Path) -> None:
    song = tmp_path / "song.csd"
    song.write_text(csd(TONE.format(amp=0.5)))
    done = run_cli("render", str(song), "--seconds", "3", timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "song.wav").is_file()
    assert "1.00 s, 44100 Hz, 2 channel(s)" in done.stdout and "-9.0" in done.stdout
    quiet = tmp_path / "quiet.csd"
    quiet.write_text(csd(TONE.format(amp=0)))
    assert run_cli("render", str(quiet), "--no-write", timeout=120).returncode == 1
    bad = tmp_path / "bad.csd"
    bad.write_text(csd('instr 1\n  fout "x.wav", 14, a(0)\nendin'))
    refused = run_cli("render", str(bad), timeout=120)
    assert refused.returncode == 2
    assert "'fout'" in refused.stderr and "writes files" in refused.stderr


def test_play_command_uses_options_or_play_args(tmp_path: Path) -> None:
    with_opts = tmp_path / "a.csd"
    with_opts.write_text(csd(TONE.format(amp=0.1), options="-odac -m0"))
    argv, cwd, placed = play_command(with_opts, ["-+rtaudio=null", "-odac"])
    assert argv[-1] == "a.csd" and "-+rtaudio=null" not in argv and cwd == tmp_path
    bare = tmp_path / "b.csd"
    bare.write_text(csd(TONE.format(amp=0.1), options="; nothing but a comment"))
    assert not has_options(bare.read_text())
    argv, _, _ = play_command(bare, ["-+rtaudio=null", "-odac"])
    assert argv[-3:] == ["-+rtaudio=null", "-odac", "b.csd"]
    argv, _, _ = play_command(with_opts, None, extra=["--port=10000"])
    assert argv[1:3] == ["-+msg_color=0", "--port=10000"] and argv[-1] == "a.csd"
    (tmp_path / "c.orc").write_text("instr 1\nendin\n")
    (tmp_path / "c.sco").write_text("i 1 0 1\n")
    argv, _, placed = play_command(tmp_path / "c.sco")
    assert argv[-2:] == ["c.orc", "c.sco"] and placed == tmp_path / "c.orc"
    (tmp_path / "d.udo").write_text("opcode X, 0, 0\nendop\n")
    with pytest.raises(RenderError, match="no instruments"):
        play_command(tmp_path / "d.udo")


def test_cli_play_streams_and_lists_errors_as_file_line(tmp_path: Path) -> None:
    song = tmp_path / "song.csd"
    song.write_text(csd("instr 1\n  a1 oscili 0.5, 440, 99\n  outs a1, a1\nendin",
                        sco="i 1 0 0.5", options=None))
    done = run_cli("play", str(song), "--args", "-+rtaudio=null -odac", timeout=120)
    assert "$ csound -+msg_color=0 -+rtaudio=null -odac song.csd" in done.stderr
    assert "INIT ERROR in instr 1" in done.stdout and "rtaudio: dummy module" in done.stdout
    line = _line(song.read_text(), "oscili") + 1
    assert f"{song}:{line}:1: error: init error in instr 1 (oscili)" in done.stdout
    # csound exits 1 after errors in performance, and so does play
    assert "csound exited with code 1" in done.stdout and done.returncode == 1
    # Only placed errors are listed: not the banner or the backtrace that mention the file.
    assert [ln for ln in done.stdout.splitlines() if ": error: " in ln] == [
        f"{song}:{line}:1: error: init error in instr 1 (oscili): Invalid ftable no. 99.000000"
    ]


def test_cli_play_is_stopped_with_its_process_group(tmp_path: Path) -> None:
    song = tmp_path / "long.csd"
    song.write_text(csd(TONE.format(amp=0.1), sco="i 1 0 600", options=None))
    proc = subprocess.Popen(
        [sys.executable, "-m", "csound_assist", "play", str(song), "--args",
         "-+rtaudio=null -odac"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:  # realtime output arrives while it plays
        if "SECTION 1" in line or time.monotonic() > deadline:
            break
    pids = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True)
    assert len(pids.stdout.split()) >= 2  # the CLI and csound
    import os
    import signal

    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)
    time.sleep(0.3)
    gone = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True)
    assert gone.stdout.strip() == ""
    assert math.isfinite(proc.returncode or 0)


def test_play_stops_when_stdin_closes(tmp_path: Path) -> None:
    song = tmp_path / "long.csd"
    song.write_text(csd(TONE.format(amp=0.1), sco="i 1 0 600", options=None))
    proc = subprocess.Popen(
        [sys.executable, "-m", "csound_assist", "play", str(song), "--args",
         "-+rtaudio=null -odac", "--stop-on-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    for line in proc.stdout:
        if "SECTION 1" in line:
            break
    proc.stdin.close()  # as when the editor that started it dies
    assert proc.wait(15) == 1
    assert not subprocess.run(["pgrep", "-f", f"csound .*{song.name}"], capture_output=True,
                              text=True).stdout.strip()


def test_live_session_compiles_code_sent_over_udp(tmp_path: Path) -> None:
    # The protocol the extension's Evaluate uses: orchestra code as is, score with a leading `$`.
    import os
    import signal
    import socket

    from tests.helpers import free_port

    port = free_port()
    song = tmp_path / "live.csd"
    song.write_text(csd("instr 1\nendin", sco="f 0 60", options=None))
    proc = subprocess.Popen(
        [sys.executable, "-m", "csound_assist", "play", str(song), "--args",
         "-+rtaudio=null -odac", "--extra", f"--port={port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "SECTION 1" in line:
                break
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b'instr 9\n  prints "live-ok %d\\n", p4\nendin\n', ("127.0.0.1", port))
            time.sleep(0.3)
            s.sendto(b"$i 9 0 0.1 42\n", ("127.0.0.1", port))
        for line in proc.stdout:
            seen.append(line)
            if "live-ok" in line:
                break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    text = "".join(seen)
    assert f"UDP server started on port {port}" in text and "live-ok 42" in text
