"""`csound-assist render FILE [-o out.wav] [--seconds N] [--json]` and `csound-assist play FILE`.

render: the sandboxed offline render (`audio.render`), then duration, peak and RMS per channel and
warnings (silent, clipping, NaN, cut at the cap); exit 1 when nothing audible came out, 2 when the
file was refused or could not be rendered.
play: the file as it is, with its `<CsOptions>` (or `--args`, default `-odac`), Csound's messages
streamed as they come; its errors are listed at the end as `FILE:LINE:COL: error: …` (the form
editors make clickable). Ctrl-C stops csound.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from csound_assist.cli import app


def _executable() -> str:
    from csound_assist.config import load_config

    return load_config(workspace=Path.cwd()).csound.executable


def _db(x: float) -> str:
    return f"{x:6.1f}" if math.isfinite(x) else "  -inf"


@app.command("render")
def render_cmd(
    file: Annotated[Path, typer.Argument(help="A .csd, or an .orc (with its same-named .sco).")],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Where to write the WAV (default: FILE.wav).")
    ] = None,
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.01, max=600, help="Longest audio to render.")
    ] = 30.0,
    no_write: Annotated[
        bool, typer.Option("--no-write", help="Only measure; write no WAV.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Render offline in the sandbox (no file that runs programs or writes files) and print the
    levels."""
    from csound_assist.audio import render

    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a readable file", param_hint="FILE")
    target = None if no_write else (out or file.with_suffix(".wav"))
    result = render(file.resolve(), seconds, target, executable=_executable())
    if json_out:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        if result.refused is not None:
            typer.echo(f"csound-assist: {result.refused.message()}", err=True)
        elif result.error:
            typer.echo(f"csound-assist: {result.error}", err=True)
            for p in result.problems[:20]:
                typer.echo(f"{file}:{p.line + 1}:{p.character + 1}: error: {p.message}", err=True)
        if result.ok and result.stats:
            s = result.stats
            where = f" → {result.wav}" if result.wav else ""
            typer.echo(f"{file}: {s.seconds:.2f} s, {s.sample_rate} Hz, "
                       f"{len(s.channels)} channel(s){where}")
            typer.echo("channel  peak dBFS  RMS dBFS")
            for i, c in enumerate(s.channels, 1):
                typer.echo(f"{i:>7}    {_db(c.peak_dbfs)}    {_db(c.rms_dbfs)}")
            for w in result.warnings:
                typer.echo(f"warning: {w}")
            for p in result.problems[:20]:
                typer.echo(f"{file}:{p.line + 1}:{p.character + 1}: error: {p.message}")
    if result.refused is not None or not result.ok:
        raise typer.Exit(2)
    raise typer.Exit(0 if result.audible else 1)


@app.command("play")
def play_cmd(
    file: Annotated[
        Path, typer.Argument(help="A .csd, .orc or .sco (ORC/SCO pairs play together).")
    ],
    args: Annotated[
        str | None,
        typer.Option("--args", help="Flags used when the file has no <CsOptions> (default -odac)."),
    ] = None,
    extra: Annotated[
        str | None,
        typer.Option("--extra", help="Flags always added, e.g. --port=10000 for live evaluation."),
    ] = None,
    stop_on_eof: Annotated[
        bool,
        typer.Option("--stop-on-eof", help="Stop when stdin closes (the editor that ran us died)."),
    ] = False,
) -> None:
    """Play a file as it is, streaming Csound's messages; errors are listed as FILE:LINE:COL."""
    from csound_assist.audio.render import RenderError, orc_line, play_command, problems_in
    from csound_assist.diagnostics.stderr import Mapping, clean

    path = file.resolve()
    try:
        argv, cwd, placed = play_command(
            path, shlex.split(args) if args is not None else None, _executable(),
            shlex.split(extra) if extra else None,
        )
    except RenderError as exc:
        typer.echo(f"csound-assist: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo("$ " + shlex.join(["csound", *argv[1:]]), err=True)
    proc = subprocess.Popen(
        argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, bufsize=0,
    )
    # Ctrl-C or SIGTERM: stop csound too (it shares our process group only when run from a shell).
    stop = lambda *_: proc.poll() is None and proc.terminate()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    if stop_on_eof:
        import threading

        def watch() -> None:
            # Raw reads until EOF (the parent is gone or closed the pipe). Not sys.stdin: a daemon
            # thread blocked inside its buffer holds the buffer's lock, and the interpreter aborts
            # at exit trying to take it ("could not acquire lock for <stdin>", SIGABRT).
            with contextlib.suppress(OSError):
                while os.read(0, 4096):
                    pass
            stop()

        threading.Thread(target=watch, daemon=True).start()
    seen: list[str] = []
    size = 0
    try:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while chunk := os.read(fd, 4096):  # unbuffered: lines appear as csound writes them
            text = clean(chunk)
            sys.stdout.write(text)
            sys.stdout.flush()
            if size < 2_000_000:  # what the error summary reads
                seen.append(text)
                size += len(text)
    except KeyboardInterrupt:
        stop()
    code = proc.wait()
    source = placed.read_text(encoding="utf-8", errors="replace")
    mapping = Mapping(1, 0, orc_line(source) + 1, placed.parent)
    problems = problems_in("".join(seen), source, mapping)
    for p in problems:
        sys.stdout.write(f"{placed}:{p.line + 1}:{p.character + 1}: error: {p.message}\n")
    sys.stdout.write(f"csound exited with code {code}\n")
    raise typer.Exit(0 if code == 0 else 1)
