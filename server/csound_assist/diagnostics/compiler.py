"""The compiler check: `csound --syntax-check-only` on the current buffer, in a subprocess.

Never in the server's process (libcsound crashes on malformed input). The buffer is written to a
private temporary folder, never into the workspace; `#include`s resolve against the document's
folder through `--env:INCDIR+=`. What Csound could *execute* while merely reading a file is
neutralised in the checked copy: `<CsScore bin="…">` runs an arbitrary program even under
`--syntax-check-only` (verified on 6.18); `<CsOptions>` could load plugin libraries
(`--opcode-lib`), so only macro flags are kept from it; `<CsFileB filename="/abs/path">` is written
to that path and deleted afterwards, so embedded files keep only their base name (the private
folder is the working directory); the deprecated `<CsFile>` writes without end and is dropped.
An `#include` of a device, FIFO, URL or too large a file (see `includes`) is blanked in the copy
and reported on its line, so Csound never opens it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger
from lsprotocol import types as lsp

from csound_assist import files
from csound_assist.diagnostics import includes
from csound_assist.diagnostics.model import SOURCE_COMPILER, Code, diagnostic
from csound_assist.diagnostics.source import kind_of
from csound_assist.diagnostics.stderr import Mapping, failure_without_diagnostics, parse_stderr
from csound_assist.diagnostics.warm import TIMED_OUT, Reply, WarmCompiler
from csound_assist.processes import kill_group

DEFAULT_TIMEOUT = 3.0
INSTALL_HINT = (
    "csound was not found; install it with `sudo apt install csound` (Debian/Ubuntu), "
    "`brew install csound` (macOS) or from https://csound.com/download.html, "
    "or set csound.executable"
)
_SCORE_BIN = re.compile(r"(<CsScore\b)([^>]*)>", re.IGNORECASE)
_OPTIONS = re.compile(r"(<CsOptions>)(.*?)(</CsOptions>)", re.DOTALL | re.IGNORECASE)
_SAFE_FLAG = re.compile(r"^--?(?:omacro|smacro):")
# Embedded files are written (then deleted) where their `filename` says, even by a syntax check.
_EMBEDDED = re.compile(
    r"(<Cs(?:FileB|SampleB|MidifileB)\b[^>]*?filename\s*=\s*\"?)([^\">\s]+)", re.IGNORECASE
)
_TEXT_FILE = re.compile(r"<CsFile\b[^>]*>.*?(?:</CsFile>|\Z)", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What to run: argv (without the executable), the working folder and how to map lines back."""

    args: list[str]
    cwd: Path
    mapping: Mapping


@dataclass(slots=True)
class CheckResult:
    diagnostics: list[lsp.Diagnostic]
    returncode: int | None
    output: str
    seconds: float
    timed_out: bool = False
    via: str = "cli"  # "worker" when the warm compiler answered


def sanitize_csd(text: str) -> str:
    """The CSD with nothing Csound would execute while reading it; line numbers are unchanged."""

    def score(m: re.Match[str]) -> str:
        if "bin" not in m.group(2).lower():
            return m.group(0)
        return m.group(1) + ">"

    def options(m: re.Match[str]) -> str:
        kept = [f for f in m.group(2).split() if _SAFE_FLAG.match(f)]
        body = re.sub(r"[^\n]", "", m.group(2))  # only the newlines: line numbers hold
        flags = " ".join(kept)
        if body.startswith("\n"):
            return m.group(1) + "\n" + flags + body[1:] + m.group(3)
        return m.group(1) + flags + body + m.group(3)

    def embedded(m: re.Match[str]) -> str:
        name = re.split(r"[\\/]", m.group(2))[-1]
        return m.group(1) + (name if name not in ("", ".", "..") else "embedded")

    had_bin = any("bin" in m.group(2).lower() for m in _SCORE_BIN.finditer(text))
    text = _OPTIONS.sub(options, text)
    # Only into the private folder; the deprecated text form writes without end: drop it.
    text = _EMBEDDED.sub(embedded, text)
    text = _TEXT_FILE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    text = _SCORE_BIN.sub(score, text)
    if had_bin:  # the body was input for an external generator, not score: blank it
        text = re.sub(
            r"(<CsScore>)(.*?)(</CsScore>)",
            lambda m: m.group(1) + re.sub(r"[^\n]", " ", m.group(2)) + m.group(3),
            text,
            flags=re.DOTALL,
        )
    return text


def refused_includes(
    text: str, path: Path | None, max_bytes: int = files.DEFAULT_MAX_BYTES
) -> list[includes.Refused]:
    """The includes of `text` that Csound must not read (devices, FIFOs, URLs, too large)."""
    return includes.resolve(text, path.parent if path is not None else None, max_bytes).refused


def refused_diagnostics(refused: list[includes.Refused]) -> list[lsp.Diagnostic]:
    return [
        diagnostic(r.include.line, r.include.start, r.include.end, r.message,
                   Code.UNREADABLE_INCLUDE)
        for r in refused
    ]


def _sibling(path: Path, max_bytes: int) -> str | None:
    """The same-named .sco/.orc beside a document, if it is a readable file whose own includes are
    all safe to hand to Csound."""
    try:
        text = files.read_text(path, max_bytes)
    except OSError:
        return None
    if refused_includes(text, path, max_bytes):
        logger.info("not checking with {}: it includes a file that is not read", path)
        return None
    return text


def prepare(
    text: str,
    path: Path | None,
    workdir: Path,
    sco_text: str | None = None,
    *,
    max_bytes: int = files.DEFAULT_MAX_BYTES,
    refused: list[includes.Refused] | None = None,
) -> Prepared:
    """Write the checked copy into `workdir` and return how to run Csound on it."""
    if refused is None:
        refused = refused_includes(text, path, max_bytes)
    text = includes.blank(text, refused)
    kind = kind_of(path, text)
    name = path.name if path is not None else f"untitled.{'csd' if kind == 'csd' else kind}"
    folder = path.parent if path is not None else None
    base = ["--syntax-check-only", "-+msg_color=0", "-n", "-d"]
    if folder is not None:
        base.append(f"--env:INCDIR+={folder}")
    target = workdir / name
    if kind == "csd":
        target.write_text(sanitize_csd(text), encoding="utf-8")
        orc_open = next((i for i, t in enumerate(text.split("\n")) if "<CsInstruments>" in t), 0)
        return Prepared([*base, name], workdir, Mapping(1, 0, orc_open + 1, folder))
    if kind == "orc":
        target.write_text(text, encoding="utf-8")
        sco = sco_text
        if sco is None and path is not None:
            sco = _sibling(path.with_suffix(".sco"), max_bytes)
        if sco is None:
            return Prepared([*base, "--orc", name], workdir, Mapping(1, 0, 0, folder))
        (workdir / "score.sco").write_text(sco, encoding="utf-8")
        return Prepared([*base, name, "score.sco"], workdir, Mapping(1, 0, 0, folder))
    if kind == "udo":
        # A fragment: wrapped in a minimal orchestra that includes it, so it is file (2) in
        # backtraces.
        target.write_text(text, encoding="utf-8")
        wrapper = workdir / "csound-assist-wrapper.orc"
        wrapper.write_text(f'sr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n#include "{name}"\n')
        return Prepared([*base, "--orc", wrapper.name], workdir, Mapping(2, 0, 0, folder))
    # A score alone: its same-named orchestra if there is one, else an empty orchestra.
    orc_path = path.with_suffix(".orc") if path is not None else None
    minimal = "sr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n"
    orc = (_sibling(orc_path, max_bytes) if orc_path is not None else None) or minimal
    (workdir / "orchestra.orc").write_text(orc, encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    return Prepared([*base, "orchestra.orc", name], workdir, Mapping(99, 0, 0, folder))


def csound_available(executable: str = "csound") -> bool:
    return shutil.which(executable) is not None


def missing_csound_diagnostic(text: str) -> lsp.Diagnostic:
    return diagnostic(
        0,
        0,
        0,
        INSTALL_HINT,
        Code.CHECK_FAILED,
        source=SOURCE_COMPILER,
        severity=lsp.DiagnosticSeverity.Information,
    )


async def run_check(
    text: str,
    path: Path | None = None,
    *,
    executable: str = "csound",
    timeout: float = DEFAULT_TIMEOUT,
    sco_text: str | None = None,
    on_spawn: Callable[[asyncio.subprocess.Process], None] | None = None,
    max_bytes: int = files.DEFAULT_MAX_BYTES,
    warm: WarmCompiler | None = None,
) -> CheckResult:
    """Check one buffer; cancelling the task kills the process. Never raises for Csound's
    failures. With `warm`, the warm worker compiles when it is ready, else the CLI does."""
    start = time.perf_counter()
    # Off the loop when there is something to read: it stats and reads every included file.
    refused = (
        await asyncio.to_thread(refused_includes, text, path, max_bytes)
        if "#include" in text
        else []
    )
    exe = shutil.which(executable)
    if exe is None:
        return CheckResult([missing_csound_diagnostic(text), *refused_diagnostics(refused)],
                           None, "", 0.0)
    via = "cli"
    with tempfile.TemporaryDirectory(prefix="csound-assist-check-") as tmp:
        workdir = Path(tmp)
        prepared = prepare(text, path, workdir, sco_text, max_bytes=max_bytes, refused=refused)
        ran: tuple[int, str] | None = None
        if warm is not None:
            reply = await warm.compile(prepared.args, prepared.cwd, workdir, timeout)
            if reply is TIMED_OUT:
                return _timed_out(start, path)
            if isinstance(reply, Reply):
                ran, via = (reply.returncode, reply.output), "worker"
        if ran is None:
            ran = await _run_cli(exe, prepared, tmp, timeout, on_spawn)
            if ran is None:
                return _timed_out(start, path)
    returncode, output = ran
    seconds = time.perf_counter() - start
    diags = [*refused_diagnostics(refused), *parse_stderr(output, text, prepared.mapping, _forms)]
    if returncode != 0 and not any(d.severity == lsp.DiagnosticSeverity.Error for d in diags):
        diags.append(failure_without_diagnostics(output, text))
    return CheckResult(_dedupe(diags), returncode, output, seconds, via=via)


def _timed_out(start: float, path: Path | None) -> CheckResult:
    seconds = time.perf_counter() - start
    logger.warning("csound check timed out after {:.1f}s ({})", seconds, path)
    return CheckResult([], None, "", seconds, timed_out=True)


async def _run_cli(
    exe: str,
    prepared: Prepared,
    tmp: str,
    timeout: float,
    on_spawn: Callable[[asyncio.subprocess.Process], None] | None,
) -> tuple[int, str] | None:
    """`csound` on the prepared copy: (exit status, output), or None when it timed out."""
    env = dict(os.environ, TMPDIR=tmp, TEMP=tmp, TMP=tmp)
    proc = await asyncio.create_subprocess_exec(
        exe,
        *prepared.args,
        cwd=prepared.cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group, so a kill reaches any children
    )
    if on_spawn is not None:
        on_spawn(proc)
    try:
        raw, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        kill_group(proc)
        await proc.wait()
        return None
    except asyncio.CancelledError:
        kill_group(proc)
        await asyncio.shield(proc.wait())
        raise
    return int(proc.returncode or 0), raw.decode("utf-8", errors="replace")


def _forms(opcode: str) -> list[str]:
    from csound_assist.diagnostics.opcodes import default_table

    return default_table().render_forms(opcode)




def _dedupe(diags: list[lsp.Diagnostic]) -> list[lsp.Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for d in diags:
        key = (
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
            d.message,
        )
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


@dataclass
class CompilerChecker:
    """At most one check in flight per document; a newer check cancels (and kills) the older one.

    `await checker.check(key, text, path)` returns the diagnostics, or raises
    `asyncio.CancelledError` when a newer check for the same key superseded it. `delay()` is an
    adaptive debounce: about 1.5× the recent check time, clamped to 150–300 ms.
    """

    executable: str = "csound"
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = files.DEFAULT_MAX_BYTES  # editor.max_file_bytes, for each included file
    # The warm compiler worker (csound.warm_compiler); None: every check runs the csound CLI.
    warm: WarmCompiler | None = None
    # Called with each spawned process (tests and the benchmark watch the processes).
    on_spawn: Callable[[asyncio.subprocess.Process], None] | None = None
    _tasks: dict[str, asyncio.Task[CheckResult]] = field(default_factory=dict, repr=False)
    _recent: list[float] = field(default_factory=list, repr=False)

    async def check(self, key: str, text: str, path: Path | None = None) -> list[lsp.Diagnostic]:
        return (await self.check_result(key, text, path)).diagnostics

    async def check_result(self, key: str, text: str, path: Path | None = None) -> CheckResult:
        older = self._tasks.get(key)
        if older is not None and not older.done():
            older.cancel()
        task = asyncio.ensure_future(
            run_check(
                text,
                path,
                executable=self.executable,
                timeout=self.timeout,
                on_spawn=self.on_spawn,
                max_bytes=self.max_bytes,
                warm=self.warm,
            )
        )
        self._tasks[key] = task
        try:
            result = await task
        finally:
            if self._tasks.get(key) is task:
                del self._tasks[key]
        self._recent = [*self._recent[-9:], result.seconds]
        return result

    async def aclose(self) -> None:
        """Stop the warm worker (it also exits by itself when this process ends)."""
        if self.warm is not None:
            await self.warm.aclose()

    def cancel(self, key: str) -> None:
        """Drop a document's check (e.g. on close)."""
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()

    def in_flight(self, key: str) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    def delay(self) -> float:
        if not self._recent:
            return 0.2
        recent = sorted(self._recent)
        return min(0.3, max(0.15, 1.5 * recent[len(recent) // 2]))


async def compile_check(path: Path | str, config: object | None = None) -> list[lsp.Diagnostic]:
    """Check a file on disk (the AI layer's verify hook). `config` is a `Config` or None."""
    path = Path(path)
    csound = getattr(config, "csound", None)
    max_bytes = int(getattr(getattr(config, "editor", None), "max_file_bytes",
                            files.DEFAULT_MAX_BYTES))
    text = files.read_text(path, max_bytes)
    result = await run_check(
        text,
        path,
        executable=getattr(csound, "executable", "csound"),
        timeout=float(getattr(csound, "check_timeout", DEFAULT_TIMEOUT)),
        max_bytes=max_bytes,
    )
    return result.diagnostics
