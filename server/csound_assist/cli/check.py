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
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from csound_assist.cli import app

_SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


@dataclass(frozen=True, slots=True)
class _Settings:
    executable: str
    timeout: float
    max_bytes: int
    warm: bool
    recycle_after: int


def _settings() -> _Settings:
    from csound_assist.config import load_config

    cfg = load_config(workspace=Path.cwd())
    return _Settings(
        cfg.csound.executable,
        float(cfg.csound.check_timeout),
        cfg.editor.max_file_bytes,
        cfg.csound.warm_compiler,
        cfg.csound.warm_recycle_after,
    )


def _read(file: Path, max_bytes: int) -> str:
    from csound_assist import files

    try:
        return files.read_text(file, max_bytes)
    except files.UnreadableFile as exc:
        raise typer.BadParameter(exc.reason, param_hint="FILE") from exc
    except OSError as exc:
        raise typer.BadParameter(
            f"{file} is not a readable file ({exc.strerror or exc})", param_hint="FILE"
        ) from exc


async def _diagnose(files: list[Path], settings: _Settings) -> list[tuple[Path, list[Any]]]:
    from csound_assist.diagnostics import CompilerChecker, merge, static_checks
    from csound_assist.diagnostics.warm import WarmCompiler

    # Several files: a warm worker starts at once and takes over from the CLI when it is ready;
    # for one file its start-up would cost more than the one csound process it saves.
    warm = WarmCompiler(settings.recycle_after) if settings.warm and len(files) > 1 else None
    if warm is not None:
        warm.start_soon()
    checker = CompilerChecker(
        executable=settings.executable,
        timeout=settings.timeout,
        max_bytes=settings.max_bytes,
        warm=warm,
    )
    results = []
    try:
        for file in files:
            text = _read(file, settings.max_bytes)
            path = file.resolve()
            compiled = await checker.check(str(path), text, path)
            static = static_checks(text, path, max_bytes=settings.max_bytes)
            results.append((file, merge(compiled, static)))
    finally:
        await checker.aclose()
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

    results = asyncio.run(_diagnose(files, _settings()))
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


async def _fixed(file: Path, settings: _Settings, rounds: int = 4) -> str:
    """Apply preferred fixes, re-checking between rounds (a fix can reveal the next error)."""
    from csound_assist.diagnostics import CompilerChecker, fix_all, merge, static_checks

    checker = CompilerChecker(
        executable=settings.executable, timeout=settings.timeout, max_bytes=settings.max_bytes
    )
    path = file.resolve()
    text = _read(file, settings.max_bytes)
    for _ in range(rounds):
        compiled = await checker.check(str(path), text, path)
        static = static_checks(text, path, max_bytes=settings.max_bytes)
        new = fix_all(text, merge(compiled, static))
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
    settings = _settings()
    original = _read(file, settings.max_bytes)
    fixed = asyncio.run(_fixed(file, settings))
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
