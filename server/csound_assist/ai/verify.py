"""Compile verification for model output: "does this CSD compile?" and the compiler's words.

The diagnostics package owns the compiler check and its sandbox; this module adapts it. Without
that package a snippet counts as unverified: model output is never compiled unsandboxed.
Compilation always happens on a scratch copy in a temporary directory, never on the user's file.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.config import Config

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True, slots=True)
class CompileResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    output: str = ""

    @property
    def message(self) -> str:
        return "\n".join(self.errors) or self.output[-2000:]


def parse_errors(output: str) -> list[str]:
    """The compiler's error lines, each joined with the `Line: N` that follows it."""
    lines = [_ANSI.sub("", line).rstrip() for line in output.splitlines()]
    errors: list[str] = []
    for i, line in enumerate(lines):
        if re.match(r"\s*(error|syntax error)\b", line, re.I) or "Unable to find opcode" in line:
            text = line.strip()
            following = " ".join(lines[i + 1 : i + 3])
            m = re.search(r"Line:\s*(\d+)|line (\d+)", following)
            if m and "line" not in text.lower():
                text += f" (line {m.group(1) or m.group(2)})"
            errors.append(text)
    return errors


def _diagnostics_checker() -> Any:
    """The diagnostics package's async compiler check, if it is installed and exposes one."""
    try:
        from csound_assist import diagnostics
    except Exception:  # noqa: BLE001 — not built yet / partial install
        return None
    for name in ("compile_check", "check_source", "compiler_check"):
        fn = getattr(diagnostics, name, None)
        if callable(fn):
            return fn
    return None


async def check_csd(text: str, config: Config, *, name: str = "scratch.csd") -> CompileResult:
    """Compile `text` in a scratch copy. A snippet without CSD tags is checked as an orchestra."""
    suffix = Path(name).suffix or ".csd"
    with tempfile.TemporaryDirectory(prefix="csound-assist-") as tmp:
        path = Path(tmp) / f"scratch{suffix}"
        path.write_text(text, encoding="utf-8")
        checker = _diagnostics_checker()
        # Model output is untrusted: it is only ever compiled through the diagnostics sandbox
        # (which strips `<CsScore bin=…>`, plugin-loading options and absolute CsFileB paths).
        # Without it, the snippet counts as unverified rather than being run unsandboxed.
        if checker is None:
            return CompileResult(False, ["the sandboxed compiler check is not available"])
        try:
            result = await checker(path, config)
        except Exception as exc:  # noqa: BLE001 — an unverified snippet is never offered
            logger.warning("compiler check failed: {}", exc)
            return CompileResult(False, [f"the compiler check failed: {exc}"])
        errors = [str(getattr(d, "message", d)) for d in result if _is_error(d)]
        return CompileResult(not errors, errors)


def _is_error(diagnostic: Any) -> bool:
    severity = getattr(diagnostic, "severity", 1)
    return int(getattr(severity, "value", severity) or 1) == 1
