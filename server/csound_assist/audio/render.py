"""Offline rendering in a sandbox, and the command line Play runs.

`render()` runs the installed csound the way the compiler check does (a private temporary
folder as the working directory, the checked copy of the file with `<CsOptions>` reduced to macro
flags and `<CsScore bin>` dropped, its own process group killed on timeout), after `guard`
refused nothing. The length of the audio is capped by an instrument appended to the orchestra that
ends the performance at the cap (`event_i "e"`), so the WAV is closed properly; a wall-clock
timeout bounds what the cap cannot (a score that takes minutes to compute). The WAV is 32-bit
float, so clipping and NaNs are seen as they are.

`play_command()` is what Play runs: the file itself, as the user wrote it, with its own
`<CsOptions>` or the configured play flags.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csound_assist import files
from csound_assist.audio.guard import Refusal, refusal
from csound_assist.audio.wav import WavError, WavStats, analyze_wav
from csound_assist.diagnostics.compiler import INSTALL_HINT, sanitize_csd
from csound_assist.diagnostics.source import kind_of
from csound_assist.diagnostics.stderr import Mapping, clean, parse_stderr
from csound_assist.processes import kill_group

DEFAULT_SECONDS = 30.0
MAX_SECONDS = 600.0
AUDIBLE_DBFS = -60.0  # an RMS above this on some channel is audible
MAX_OUTPUT = 256_000  # characters of Csound's messages kept (head and tail)
CAP_INSTR = "csound_assist_cap"
_INSTRUMENTS_CLOSE = re.compile(r"</CsInstruments>", re.IGNORECASE)
_OPTIONS = re.compile(r"<CsOptions>(.*?)</CsOptions>", re.DOTALL | re.IGNORECASE)
_RUNTIME = re.compile(
    r"^(?P<kind>INIT|PERF) ERROR in instr (?P<instr>\S+)(?: \(opcode (?P<op>[^)]+)\))?"
    r" line (?P<line>\d+): (?P<msg>[^\n]*)",
    re.MULTILINE,
)


class RenderError(Exception):
    """What cannot be rendered or played at all, with a message for the user."""


@dataclass(frozen=True, slots=True)
class Problem:
    """An error Csound reported, placed in the file (0-based line and column)."""

    line: int
    character: int
    message: str
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "character": self.character, "message": self.message,
                "severity": self.severity}


@dataclass(slots=True)
class RenderResult:
    ok: bool  # a WAV with audio was written
    seconds_cap: float
    refused: Refusal | None = None
    error: str | None = None
    wav: Path | None = None
    stats: WavStats | None = None
    capped: bool = False  # the score went on past the cap
    timed_out: bool = False
    returncode: int | None = None
    wall_seconds: float = 0.0
    output: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.stats.seconds if self.stats else 0.0

    @property
    def audible(self) -> bool:
        """Rendered, no NaN, and some channel's RMS above AUDIBLE_DBFS."""
        return bool(
            self.ok and self.stats and not self.stats.nonfinite
            and any(c.rms_dbfs > AUDIBLE_DBFS for c in self.stats.channels)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "audible": self.audible,
            "wav": str(self.wav) if self.wav else None,
            "seconds": round(self.seconds, 3),
            "seconds_cap": self.seconds_cap,
            "capped": self.capped,
            "sample_rate": self.stats.sample_rate if self.stats else None,
            "channels": [c.to_dict() for c in self.stats.channels] if self.stats else [],
            "nonfinite_samples": self.stats.nonfinite if self.stats else 0,
            "refused": self.refused.message() if self.refused else None,
            "error": self.error,
            "timed_out": self.timed_out,
            "returncode": self.returncode,
            "wall_seconds": round(self.wall_seconds, 3),
            "problems": [p.to_dict() for p in self.problems],
            "warnings": self.warnings,
        }


def _cap_code(seconds: float) -> str:
    return (
        f"\ninstr {CAP_INSTR}\n  event_i \"e\", 0, 0\nendin\n"
        f"schedule \"{CAP_INSTR}\", {seconds:g}, 0\n"
    )


def _env_flags(folder: Path | None) -> list[str]:
    """Inputs (includes, samples, analysis and MIDI files) resolve against the file's folder."""
    if folder is None:
        return []
    return [f"--env:{var}+={folder}" for var in ("INCDIR", "SSDIR", "SADIR", "MFDIR")]


def _sources(text: str | None, path: Path | None) -> tuple[str, str, str | None, Path | None]:
    """(kind, main text, score text for an orchestra, the document's folder)."""
    if text is None:
        if path is None:
            raise RenderError("nothing to render: give a file or its text")
        try:
            text = files.read_text(path)  # a regular file within the limit (not a FIFO)
        except OSError as exc:
            raise RenderError(f"cannot read {path}: {exc.strerror or exc}") from exc
    kind = kind_of(path, text)
    folder = path.parent if path is not None else None
    if kind == "udo":
        raise RenderError("a UDO file defines opcodes but no instruments: render the file that "
                          "includes it")
    if kind == "sco":
        orc = path.with_suffix(".orc") if path is not None else None
        if orc is None or not orc.is_file():
            name = orc.name if orc else "an .orc file"
            raise RenderError(f"a score alone has no orchestra: put {name} beside it")
        return "orc", orc.read_text(encoding="utf-8", errors="replace"), text, folder
    if kind == "orc":
        sco = path.with_suffix(".sco") if path is not None else None
        score = sco.read_text(encoding="utf-8", errors="replace") if sco and sco.is_file() else None
        return "orc", text, score, folder
    return "csd", text, None, folder


def _read_bounded(stream: Any, keep: list[str]) -> None:
    """Read a pipe to its end keeping the first and last MAX_OUTPUT/2 characters."""
    head: list[str] = []
    tail: list[str] = []
    size_head = size_tail = 0
    dropped = False
    for chunk in iter(lambda: stream.read(8192), ""):
        if size_head < MAX_OUTPUT // 2:
            head.append(chunk)
            size_head += len(chunk)
            continue
        tail.append(chunk)
        size_tail += len(chunk)
        while size_tail > MAX_OUTPUT // 2 and len(tail) > 1:
            size_tail -= len(tail.pop(0))
            dropped = True
    keep.append("".join(head) + ("\n[… output shortened …]\n" if dropped else "") + "".join(tail))


def runtime_problems(output: str) -> list[Problem]:
    """INIT and PERF errors (`INIT ERROR in instr 1 (opcode oscili.a) line 8: …`) on their line."""
    out = []
    for m in _RUNTIME.finditer(output):
        op = m.group("op")
        where = f" ({op.split('.')[0]})" if op else ""
        kind = m.group("kind").lower()
        msg = f"{kind} error in instr {m.group('instr')}{where}: {m.group('msg')}"
        out.append(Problem(int(m.group("line")) - 1, 0, msg.strip()))
    return out


def orc_line(text: str) -> int:
    """The 0-based line of `<CsInstruments>` (0 for an orchestra file)."""
    return next((i for i, t in enumerate(text.split("\n")) if "<CsInstruments>" in t), 0)


def problems_in(output: str, text: str, mapping: Mapping) -> list[Problem]:
    """Compile errors (the diagnostics' stderr parser) and run-time errors, in line order."""
    found = runtime_problems(output)
    lines = {p.line for p in found}
    for d in parse_stderr(output, text, mapping):
        if d.severity not in (None, 1) or d.range.start.line in lines:
            continue
        # Only errors placed on a line: the parser's whole-file catch-all also takes any line
        # with "error" in it (ALSA's device complaints, a backtrace's `from file …`), which the
        # output shows as it is anyway.
        if d.range.end.line - d.range.start.line > 1:
            continue
        found.append(Problem(d.range.start.line, d.range.start.character, d.message))
    return sorted(set(found), key=lambda p: (p.line, p.character))


def render(
    source: str | Path,
    seconds: float = DEFAULT_SECONDS,
    out: Path | str | None = None,
    *,
    path: Path | None = None,
    executable: str = "csound",
    timeout: float | None = None,
) -> RenderResult:
    """Render a CSD (or an orchestra, with its same-named score) to a float WAV, at most `seconds`
    long, and measure it. `source` is a path or the file's text (then `path`, if given, names the
    file for its folder and kind). `out`: where the WAV goes; None keeps it only for the analysis.
    Never raises for Csound's failures or a refusal: they are in the result.
    """
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise ValueError("seconds must be a positive number")
    seconds = min(float(seconds), MAX_SECONDS)
    result = RenderResult(False, seconds)
    if isinstance(source, Path):
        path, text = source, None
    else:
        text = source
    start = time.perf_counter()
    try:
        kind, main, score, folder = _sources(text, path)
    except RenderError as exc:
        result.error = str(exc)
        return result
    main_path = path.with_suffix(".orc") if path is not None and kind_of(path) == "sco" else path
    if (refused := refusal(main, main_path)) is not None:
        result.refused = refused
        return result
    exe = shutil.which(executable)
    if exe is None:
        result.error = INSTALL_HINT
        return result
    timeout = timeout if timeout is not None else 20.0 + 3.0 * seconds
    with tempfile.TemporaryDirectory(prefix="csound-assist-render-") as tmp:
        work = Path(tmp)
        wav = work / "render.wav"
        args = [exe, "-o", str(wav), "--format=wav:float", "-+msg_color=0", "-d",
                "-+rtaudio=null", "-+rtmidi=null", *_env_flags(folder)]
        if kind == "csd":
            checked = sanitize_csd(main)
            closes = list(_INSTRUMENTS_CLOSE.finditer(checked))
            if closes:
                at = closes[-1].start()
                checked = checked[:at] + _cap_code(seconds) + checked[at:]
            (work / "render.csd").write_text(checked, encoding="utf-8")
            args.append("render.csd")
            mapping = Mapping(1, 0, orc_line(main) + 1, folder)
        else:
            (work / "render.orc").write_text(main.rstrip("\n") + "\n" + _cap_code(seconds),
                                             encoding="utf-8")
            if score is None:
                args += ["--orc", "render.orc"]
            else:
                (work / "render.sco").write_text(score, encoding="utf-8")
                args += ["render.orc", "render.sco"]
            mapping = Mapping(1, 0, 0, folder)
        env = dict(os.environ, TMPDIR=tmp, TEMP=tmp, TMP=tmp)
        proc = subprocess.Popen(
            args, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace", env=env,
            start_new_session=True,  # its own process group: a kill reaches its children
        )
        kept: list[str] = []
        reader = threading.Thread(target=_read_bounded, args=(proc.stdout, kept), daemon=True)
        reader.start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            result.timed_out = True
            kill_group(proc)
            proc.wait()
        except BaseException:  # KeyboardInterrupt: never leave csound running
            kill_group(proc)
            proc.wait()
            raise
        reader.join(5)
        result.returncode = proc.returncode
        result.output = clean(kept[0] if kept else "")
        result.wall_seconds = time.perf_counter() - start
        result.problems = problems_in(result.output, main, mapping)
        if result.timed_out:
            result.error = (f"csound took more than {timeout:.0f} s of wall-clock time and was "
                            "stopped")
            return result
        if wav.is_file() and wav.stat().st_size > 44:
            try:
                result.stats = analyze_wav(wav)
            except WavError as exc:
                result.error = f"the rendered WAV could not be read: {exc}"
                return result
        # A score of 0 s (examples that only print) renders fine to an empty WAV.
        empty = result.stats is not None and result.stats.frames == 0 and proc.returncode == 0
        if result.stats is None or (result.stats.frames == 0 and not empty):
            result.error = _failure(result)
            return result
        result.ok = True
        result.capped = result.stats.seconds >= seconds - 0.01
        result.warnings = _warnings(result)
        if out is not None:
            target = Path(out)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(wav), target)
            except OSError as exc:
                result.ok = False
                result.error = f"cannot write {target}: {exc.strerror or exc}"
                return result
            result.wav = target
    return result


def _failure(result: RenderResult) -> str:
    if result.problems:
        first = result.problems[0]
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        return f"csound failed: line {first.line + 1}: {first.message}{more}"
    lines = [ln.strip() for ln in result.output.splitlines() if ln.strip()]
    keep = [ln for ln in lines if not re.match(r"(Elapsed time|end of score|overall|\d+ errors)",
                                                ln)]
    tail = "; ".join(keep[-3:]) or "no message"
    return f"csound wrote no audio (exit {result.returncode}): {tail}"


def _warnings(result: RenderResult) -> list[str]:
    stats = result.stats
    assert stats is not None
    out = []
    if not stats.frames:
        out.append("no audio: the score lasts 0 s (the file may only print values)")
        return out
    if stats.nonfinite:
        out.append(f"{stats.nonfinite} samples are NaN or infinite (an unstable filter or a "
                   "division by zero?)")
    if not any(c.rms_dbfs > AUDIBLE_DBFS for c in stats.channels):
        loudest = max((c.peak_dbfs for c in stats.channels), default=-math.inf)
        level = f"peak {loudest:.1f} dBFS" if math.isfinite(loudest) else "all zeros"
        out.append(f"silent: every channel's RMS is below {AUDIBLE_DBFS:.0f} dBFS ({level})")
    for i, c in enumerate(stats.channels, 1):
        if c.clipped:
            out.append(f"clipping: channel {i} has {c.clipped} samples at or past full scale "
                       f"(peak {c.peak_dbfs:+.1f} dBFS; check 0dbfs and amplitudes)")
    if result.capped:
        out.append(f"stopped at the {result.seconds_cap:g} s cap (the score runs longer)")
    if result.problems:
        out.append(f"csound reported {len(result.problems)} error(s) while rendering")
    return out


def has_options(text: str) -> bool:
    """Whether a CSD's <CsOptions> holds any flag (comments and blank lines do not count)."""
    m = _OPTIONS.search(text)
    if not m:
        return False
    body = re.sub(r"(;|//|#)[^\n]*", "", m.group(1))
    return bool(body.split())


def play_command(
    path: Path,
    play_args: list[str] | None = None,
    executable: str = "csound",
    extra: list[str] | None = None,
) -> tuple[list[str], Path, Path]:
    """(argv, working folder, the file errors are placed in) for playing `path` as it is.

    A CSD with flags in `<CsOptions>` plays with them; otherwise `play_args` (default `-odac`).
    `extra` flags are always added (`--port=N` for a live-evaluation session).
    An orchestra plays with its same-named score, a score with its same-named orchestra.
    Raises RenderError with a message for what cannot be played.
    """
    exe = shutil.which(executable)
    if exe is None:
        raise RenderError(INSTALL_HINT)
    if not path.is_file():
        raise RenderError(f"{path} is not a file")
    flags = list(play_args) if play_args is not None else ["-odac"]
    base = [exe, "-+msg_color=0", *(extra or [])]
    try:
        text = files.read_text(path)  # a regular file within the limit (not a FIFO)
    except OSError as exc:
        raise RenderError(f"cannot read {path}: {exc.strerror or exc}") from exc
    kind = kind_of(path, text)
    if kind == "csd":
        return [*base, *([] if has_options(text) else flags), path.name], path.parent, path
    if kind == "udo":
        raise RenderError(f"{path.name} defines opcodes but no instruments: play the file that "
                          "includes it")
    orc = path if kind == "orc" else path.with_suffix(".orc")
    sco = path.with_suffix(".sco") if kind == "orc" else path
    if not orc.is_file():
        raise RenderError(f"{sco.name} has no orchestra: put {orc.name} beside it")
    if sco.is_file():
        return [*base, *flags, orc.name, sco.name], path.parent, orc
    return [*base, *flags, "--orc", orc.name], path.parent, orc
