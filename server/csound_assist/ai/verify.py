"""Compile verification for model output: "does this CSD compile?" and the compiler's words.

The diagnostics package owns the compiler check; this module adapts it (and keeps a minimal
`csound --syntax-check-only` run for when that package is not importable, e.g. a partial install).
Compilation always happens on a scratch copy in a temporary directory, never on the user's file.
"""

from __future__ import annotations

import asyncio
import contextlib
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


async def _run_csound(path: Path, config: Config) -> CompileResult:
    cmd = [config.csound.executable, "--syntax-check-only", "-n", "--nodisplays", str(path)]
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=path.parent,
        )
    except OSError as exc:
        return CompileResult(False, [f"cannot run {config.csound.executable}: {exc}"])
    try:
        async with asyncio.timeout(max(config.csound.check_timeout, 5.0)):
            out, _ = await proc.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        return CompileResult(False, ["the compiler check timed out"])
    output = out.decode(errors="replace")
    errors = parse_errors(output)
    ok = proc.returncode == 0 and not errors
    if not ok and not errors:
        errors = [_ANSI.sub("", output).strip().splitlines()[-1] if output.strip() else "failed"]
    return CompileResult(ok, errors, output)


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
        if checker is not None:
            try:
                result = await checker(path, config)
                errors = [str(getattr(d, "message", d)) for d in result if _is_error(d)]
                return CompileResult(not errors, errors)
            except Exception as exc:  # noqa: BLE001 — fall back to our own run
                logger.debug("diagnostics compile check failed, running csound: {}", exc)
        return await _run_csound(path, config)


def _is_error(diagnostic: Any) -> bool:
    severity = getattr(diagnostic, "severity", 1)
    return int(getattr(severity, "value", severity) or 1) == 1
