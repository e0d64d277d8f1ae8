"""`csound-assist tour`: a short walk through what the assistant does, run on the bundled examples.

Each step is the real CLI command a user could type, run as its own process so one failing step
(Csound missing, no model) is reported and the tour goes on.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.rule import Rule

from csound_assist.cli import app

STEPS: list[tuple[str, list[str]]] = [
    ("The manual, from the installed Csound", ["opcode", "moogladder"]),
    ("Compiler + static diagnostics on a file with typical mistakes",
     ["check", "{examples}/mistakes.csd"]),
    ("The quick fixes that make it compile (a diff; --write applies it)",
     ["fix", "{examples}/mistakes.csd"]),
    ("Hover on `moogladder` (line 21, column 10)",
     ["hover", "{examples}/clean-synth.csd", "21", "10"]),
    ("Completion after `aSig ` — only opcodes that output audio",
     ["complete", "{examples}/clean-synth.csd", "21", "9"]),
    ("Index the manual's examples for retrieval (first run: minutes; then only changed files)",
     ["index"]),
    ("Hybrid search (BM25 + embeddings + opcode routing) for grounding AI answers",
     ["search", "resonant lowpass filter sweep", "-k", "3"]),
]


@app.command("tour")
def tour_cmd(
    examples: Annotated[
        Path, typer.Option(help="Folder with the example CSDs.")
    ] = Path("examples"),
) -> None:
    """Show what csound-assist does, on the bundled examples."""
    console = Console()
    failed = 0
    for title, args in STEPS:
        argv = [a.format(examples=examples) for a in args]
        console.print(Rule(f"[bold]{title}"))
        console.print(f"[dim]$ csound-assist {' '.join(argv)}[/]")
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "csound_assist", *argv], stdin=subprocess.DEVNULL, check=False
        )
        console.print(f"[dim]({time.monotonic() - started:.1f} s)[/]")
        # `check` exits 1 when it finds errors: that is the point of the step, not a failure.
        if proc.returncode not in (0, 1):
            failed += 1
            console.print(f"[red]step failed (exit {proc.returncode})[/]")
    console.print(Rule())
    console.print(
        "Open [bold]examples/[/] in VS Code with the extension installed "
        "(build/csound-assist-*.vsix) to get all of this as you type."
    )
    if failed:
        raise typer.Exit(1)
