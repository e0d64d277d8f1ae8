"""`csound-assist index` and `csound-assist search`: thin faces over `csound_assist.retrieval`."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from csound_assist.cli import app


def _open_index():
    from csound_assist.config import load_config
    from csound_assist.retrieval import Index

    config = load_config(workspace=Path.cwd())
    for problem in config.problems:
        typer.secho(f"warning: {problem}", err=True, fg="yellow")
    return Index.open(config)


@app.command("index")
def index_cmd(
    dirs: Annotated[
        list[Path] | None,
        typer.Argument(help="Folders (or files) to index besides the configured sources."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Rebuild from scratch.")] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep running and re-index changed files.")
    ] = False,
) -> None:
    """Index Csound examples for retrieval: the manual's examples, `rag.examples_dirs` and DIRs.

    Unchanged files are never re-embedded; a build is published atomically when complete.
    """
    from rich.console import Console

    from csound_assist.cli.progress import reporter
    from csound_assist.retrieval import EmbedderError, IndexBuildError, StoreError

    console = Console(stderr=True)
    missing = [d for d in dirs or [] if not d.exists()]
    if missing:
        typer.secho(
            f"error: no such file or folder: {', '.join(map(str, missing))}", err=True, fg="red"
        )
        raise typer.Exit(2)
    index = _open_index()
    scope = list(index.sources) + [d.resolve() for d in dirs or []]
    if not scope:
        typer.secho(
            "error: nothing to index: give a folder or set rag.examples_dirs", err=True, fg="red"
        )
        raise typer.Exit(2)
    with index:
        try:
            with reporter("index: ") as progress:
                report = index.update(scope, progress, full=full)
        except (EmbedderError, IndexBuildError, StoreError) as exc:
            typer.secho(f"error: {exc}", err=True, fg="red")
            raise typer.Exit(1) from exc
        typer.echo(report.summary())
        if watch:
            from csound_assist.retrieval.watch import watch as follow

            stop = threading.Event()
            roots = [p for p in scope if p.is_dir()]
            console.print(f"watching {len(roots)} folders; Ctrl-C stops")
            try:
                follow(
                    index,
                    roots,
                    stop,
                    on_update=lambda r: typer.echo(r.summary()),
                    on_ready=lambda: console.print("ready", style="dim"),
                )
            except KeyboardInterrupt:
                stop.set()


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="What to look for, in English or Csound.")],
    k: Annotated[int | None, typer.Option("-k", min=1, max=50, help="Number of results.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    mode: Annotated[
        str, typer.Option(help="hybrid, dense, keyword or opcode.", case_sensitive=False)
    ] = "hybrid",
) -> None:
    """Search the index: score, source file, line range, chunk kind and text of the best chunks."""
    mode = mode.lower()
    if mode not in ("hybrid", "dense", "keyword", "opcode"):
        typer.secho(
            f"error: --mode must be hybrid, dense, keyword or opcode, not {mode!r}",
            err=True,
            fg="red",
        )
        raise typer.Exit(2)
    with _open_index() as index:
        if index.stats().generation is None:
            typer.secho(
                "error: the index is empty; run `csound-assist index` first", err=True, fg="red"
            )
            raise typer.Exit(1)
        results = index.search(query, k, mode=mode)
    if json_out:
        json.dump([r.to_dict() for r in results], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    console = Console()
    if not results:
        console.print("no results")
        return
    for rank, r in enumerate(results, 1):
        c = r.chunk
        line = Text.assemble(
            (f"{rank}. ", "bold"),
            (f"{c.path}:{c.start_line}-{c.end_line}", "cyan"),
            f"  {c.kind} {c.name}".rstrip(),
            (f"  score {r.score:.4f}", "dim"),
            ("" if r.similarity is None else f"  cos {r.similarity:.3f}", "dim"),
        )
        console.print(line, soft_wrap=True)
        console.print(Padding(Text(c.text.rstrip()), (0, 0, 1, 4)))
