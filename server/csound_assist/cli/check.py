"""`csound-assist check FILE... [--json]` and `fix FILE [--write]`: the diagnostics engine from a
shell.

The same functions as the language server: the compiler check (`csound --syntax-check-only` in a
subprocess) plus the static checks; `fix` applies every preferred quick fix.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from csound_assist.cli import app

_SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


def _settings() -> tuple[str, float]:
    from csound_assist.config import load_config

    cfg = load_config(workspace=Path.cwd())
    return cfg.csound.executable, float(cfg.csound.check_timeout)


def _read(file: Path) -> str:
    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a readable file", param_hint="FILE")
    try:
        return file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc}", param_hint="FILE") from exc


async def _diagnose(
    files: list[Path], executable: str, timeout: float
) -> list[tuple[Path, list[Any]]]:
    from csound_assist.diagnostics import CompilerChecker, merge, static_checks

    checker = CompilerChecker(executable=executable, timeout=timeout)
    results = []
    for file in files:
        text = _read(file)
        path = file.resolve()
        compiled = await checker.check(str(path), text, path)
        results.append((file, merge(compiled, static_checks(text, path))))
    return results


@app.command("check")
def check_cmd(
    files: Annotated[list[Path], typer.Argument(help="Csound files (.csd .orc .sco .udo .inc).")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print LSP Diagnostic objects as JSON.")
    ] = False,
) -> None:
    """Check files with the Csound compiler and the static checks; exit 1 when there are errors."""
    from csound_assist.diagnostics.model import Code, to_json

    executable, timeout = _settings()
    results = asyncio.run(_diagnose(files, executable, timeout))
    errors = 0
    rows: list[dict[str, Any]] = []
    warned_missing = False
    for file, diags in results:
        for d in sorted(diags, key=lambda d: (d.range.start.line, d.range.start.character)):
            sev = int(d.severity or 1)
            if d.code == Code.CHECK_FAILED:
                if not warned_missing:
                    typer.echo(f"csound-assist: {d.message}", err=True)
                warned_missing = True
                continue
            errors += sev == 1
            if json_out:
                rows.append(to_json(d, str(file)))
            else:
                pos = f"{file}:{d.range.start.line + 1}:{d.range.start.character + 1}"
                typer.echo(f"{pos}: {_SEVERITY.get(sev, 'error')} [{d.code}] {d.message}")
    if json_out:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    raise typer.Exit(1 if errors else 0)


async def _fixed(file: Path, executable: str, timeout: float, rounds: int = 4) -> str:
    """Apply preferred fixes, re-checking between rounds (a fix can reveal the next error)."""
    from csound_assist.diagnostics import CompilerChecker, fix_all, merge, static_checks

    checker = CompilerChecker(executable=executable, timeout=timeout)
    path = file.resolve()
    text = _read(file)
    for _ in range(rounds):
        compiled = await checker.check(str(path), text, path)
        new = fix_all(text, merge(compiled, static_checks(text, path)))
        if new == text:
            break
        text = new
    return text


@app.command("fix")
def fix_cmd(
    file: Annotated[Path, typer.Argument(help="The Csound file to fix.")],
    write: Annotated[
        bool, typer.Option("--write", help="Write the file instead of printing a diff.")
    ] = False,
) -> None:
    """Apply every preferred quick fix; print a unified diff, or rewrite the file with --write."""
    executable, timeout = _settings()
    original = _read(file)
    fixed = asyncio.run(_fixed(file, executable, timeout))
    if write:
        if fixed != original:
            file.write_text(fixed, encoding="utf-8")
        typer.echo(f"{file}: {'fixed' if fixed != original else 'nothing to fix'}", err=True)
        return
    diff = difflib.unified_diff(
        original.splitlines(keepends=True),
        fixed.splitlines(keepends=True),
        fromfile=f"a/{file}",
        tofile=f"b/{file}",
    )
    sys.stdout.writelines(diff)
