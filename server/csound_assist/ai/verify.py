"""Compile verification for model output: "does this CSD compile?" and the compiler's words.

The diagnostics package owns the compiler check and its sandbox; this module adapts it. Without
that package a snippet counts as unverified: model output is never compiled unsandboxed.
Compilation always happens on a scratch copy in a temporary directory, never on the user's file.

What goes back to a model is the *first* error with its line number and that line's text: a
small model cannot act on csound's token names ("unexpected S_LT") without knowing where they
are, and csound's banner and statistics lines ("UnifiedCSD:  scratch.csd", "Elapsed time …")
are never errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.config import Config

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# csound's informational output: banner, progress, statistics. Never an error by itself.
_INFO = re.compile(
    r"^\s*(?:UnifiedCSD:|Elapsed time|end of score|overall |\d+ errors? in performance"
    r"|no sound written|sorting score|\.\.\. done|Syntax check completed|scoreless operation"
    r"|--Csound version|virtual_keyboard|graphics suppressed|displays suppressed|0dBFS level"
    r"|orch now loaded|audio buffered|SECTION \d|Reading options from|rtaudio:|rtmidi:"
    r"|libsndfile|STARTING FILE|Creating |Parsing successful|Csound tidy up|\[commit"
    r"|Usage:|Legal flags|Short options|flag defaults|-\S|\s*\()",
)
# Lines that are errors although they do not start with "error:".
_ERROR_WORDS = re.compile(
    r"^\s*(?:error|syntax error)\b|Unable to find opcode|\bERROR\b|unknown CSD tag"
    r"|Missing end tag|Could not find <CsoundSynthesizer>|Invalid arguments in <CsOptions>"
    r"|Missing program in tag|sread:|used before defined|not found|undefined",
    re.I,
)
# Repeats or consequences of the real error.
_FOLLOW_UP = re.compile(
    r"Parsing failed|Stopping on parser failure|cannot compile orchestra|Reading CSD failed"
    r"|syntax errors in orchestra|could not be determined|failed to open input file \(null\)",
)
# Static diagnostics that are errors csound itself lets through or reports without a place.
_STATIC_ERRORS = frozenset({"csd-tag", "csd-tag-line", "xml-block"})


@dataclass(frozen=True, slots=True)
class CompileError:
    message: str
    line: int | None = None  # 1-based
    text: str = ""  # that line of the checked code

    def render(self) -> str:
        if self.line is None:
            return self.message
        shown = f"\n    {self.line} | {self.text.rstrip()}" if self.text.strip() else ""
        return f"line {self.line}: {self.message}{shown}"


@dataclass(frozen=True, slots=True)
class CompileResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    output: str = ""
    located: list[CompileError] = field(default_factory=list)

    @property
    def first(self) -> CompileError | None:
        if self.located:
            return self.located[0]
        return CompileError(self.errors[0]) if self.errors else None

    @property
    def feedback(self) -> str:
        """What a repair round is told: the first error, where it is, and that line."""
        first = self.first
        return first.render() if first is not None else self.message

    @property
    def message(self) -> str:
        if self.located:
            return "\n".join(e.render() for e in self.located)
        return "\n".join(self.errors) or "\n".join(parse_errors(self.output)) or ""


def parse_errors(output: str) -> list[str]:
    """The compiler's error lines, each joined with the `Line: N` that follows it; csound's
    banner, progress and statistics lines and the follow-up noise of an error are left out."""
    lines = [_ANSI.sub("", line).replace("\x00", "").rstrip() for line in output.splitlines()]
    errors: list[str] = []
    for i, line in enumerate(lines):
        text = line.strip()
        if not text or _INFO.match(line) or _FOLLOW_UP.search(text):
            continue
        if not _ERROR_WORDS.search(text):
            continue
        text = re.sub(r"^(?:error:\s*)+", "error: ", re.sub(r"\s+", " ", text))
        following = " ".join(lines[i + 1 : i + 3])
        m = re.search(r"Line:?\s*(\d+)|line (\d+)", following)
        if m and "line" not in text.lower():
            text += f" (line {m.group(1) or m.group(2)})"
        errors.append(text)
    return errors


def _whole_file(d: Any, lines: list[str]) -> bool:
    r = d.range
    return r.start.line == 0 and r.start.character == 0 and r.end.line >= max(len(lines) - 1, 1)


def locate(diagnostics: list[Any], output: str, text: str) -> list[CompileError]:
    """Error diagnostics as (message, 1-based line, line text), most useful first: a tag
    problem (it hides everything after it), then errors in csound's order; an error csound did
    not place gets the line its own words give, else none — never a banner line as message."""
    lines = text.split("\n")
    errors = [d for d in diagnostics if _is_error(d)]
    errors.sort(key=lambda d: 0 if str(d.code) in _STATIC_ERRORS else 1)
    out: list[CompileError] = []
    for d in errors:
        message = _clean_message(str(d.message))
        if not message:
            continue
        if _whole_file(d, lines):
            m = re.search(r"\(line (\d+)\)|[Ll]ine:?\s*(\d+)", message)
            if m is None:
                out.append(CompileError(message))
                continue
            line = int(m.group(1) or m.group(2))
        else:
            line = d.range.start.line + 1
        shown = lines[line - 1] if 0 < line <= len(lines) else ""
        out.append(CompileError(message, line, shown))
    if not out:
        out = [CompileError(e) for e in parse_errors(output)[:3]]
    return out


def _clean_message(message: str) -> str:
    """A diagnostic's message without csound's info lines (a failure csound did not explain
    is shown as its last lines, which may be the banner)."""
    kept = [
        ln.strip()
        for ln in message.split("\n")
        if ln.strip() and not _INFO.match(ln) and not _FOLLOW_UP.search(ln)
    ]
    return "\n".join(kept)


_GLOBAL_VAR = re.compile(r"Variable '(g\w+)'")
_LOCAL_VAR = re.compile(r"Variable '(\w+)'")


def repair_hint(feedback: str, missing: list[str] | None = None) -> str:
    """What to tell a model beyond csound's words, for the errors small models misread."""
    globals_ = missing or _GLOBAL_VAR.findall(feedback)
    if globals_:
        return (
            f"{', '.join(dict.fromkeys(globals_))} is used but defined nowhere. Csound has no "
            "`var` or `global` keyword: define a global once in the orchestra header, before "
            "the first instr (a table: `giwave ftgen 0, 0, 8192, 10, 1`; an audio bus: "
            "`gaSend init 0`), or do not use it."
        )
    local = _LOCAL_VAR.findall(feedback)
    if local:
        return (
            f"Give {local[0]} a value on an earlier line of the same instrument (for example "
            f"`{local[0]} init 0`), or use a variable that exists."
        )
    line = re.search(r"\n\s*\d+ \| (.*)$", feedback)
    if line and line.group(1).count("(") != line.group(1).count(")"):
        return "That line has unbalanced parentheses: each ( needs its )."
    return ""


def _diagnostics_runner() -> Any:
    """The diagnostics package's compiler run (diagnostics + raw output), if it is installed."""
    try:
        from csound_assist.diagnostics.compiler import run_check
    except Exception:  # noqa: BLE001 — not built yet / partial install
        return None
    return run_check


async def check_csd(text: str, config: Config, *, name: str = "scratch.csd") -> CompileResult:
    """Compile `text` in a scratch copy. A snippet without CSD tags is checked as an orchestra."""
    suffix = Path(name).suffix or ".csd"
    runner = _diagnostics_runner()
    # Model output is untrusted: it is only ever compiled through the diagnostics sandbox
    # (which strips `<CsScore bin=…>`, plugin-loading options and absolute CsFileB paths).
    # Without it, the snippet counts as unverified rather than being run unsandboxed.
    if runner is None:
        return CompileResult(False, ["the sandboxed compiler check is not available"])
    try:
        result = await runner(
            text,
            Path(f"scratch{suffix}"),
            executable=config.csound.executable,
            timeout=float(config.csound.check_timeout),
        )
    except Exception as exc:  # noqa: BLE001 — an unverified snippet is never offered
        logger.warning("compiler check failed: {}", exc)
        return CompileResult(False, [f"the compiler check failed: {exc}"])
    if result.timed_out:
        return CompileResult(False, ["the compiler check timed out"], result.output)
    diagnostics = list(result.diagnostics)
    if suffix == ".csd" and "<" in text:
        diagnostics += _tag_errors(text)
    located = locate(diagnostics, result.output, text)
    errors = [e.render() for e in located]
    return CompileResult(not errors, errors, result.output, located)


def _tag_errors(text: str) -> list[Any]:
    """Tag problems csound lets through silently (a lower-case <csscore> loses the score)."""
    try:
        from csound_assist.diagnostics.static import check_tags
    except ImportError:
        return []
    from csound_assist.diagnostics.opcodes import default_table
    from csound_assist.diagnostics.static import Context

    ctx = Context(text, "csd", default_table(), None)
    return [d for d in check_tags(ctx) if _is_error(d)]


def _is_error(diagnostic: Any) -> bool:
    severity = getattr(diagnostic, "severity", 1)
    return int(getattr(severity, "value", severity) or 1) == 1
