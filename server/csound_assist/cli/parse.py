"""`csound-assist parse FILE [--errors]`: the syntax tree of a Csound file, or its syntax errors."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from csound_assist.cli import app

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def format_tree(node, source: bytes, depth: int = 0, field: str | None = None) -> list[str]:  # noqa: ANN001
    """One line per named node: `field: type [row:col-row:col]`, leaves with their text."""
    label = f"{field}: " if field else ""
    start, end = node.start_point, node.end_point
    where = f"[{start.row + 1}:{start.column + 1}-{end.row + 1}:{end.column + 1}]"
    kind = "MISSING " + node.type if node.is_missing else node.type
    line = f"{'  ' * depth}{label}{kind} {where}"
    named = [
        (child, node.field_name_for_child(i))
        for i, child in enumerate(node.children)
        if child.is_named or child.is_missing
    ]
    if not named and node.end_byte > node.start_byte and node.type not in ("raw_text", "prelude",
                                                                            "trailing_text"):
        text = source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")
        line += f" {text[:60]!r}"
    lines = [line]
    for child, child_field in named:
        lines.extend(format_tree(child, source, depth + 1, child_field))
    return lines


def read_source(path: Path) -> bytes:
    from csound_assist import files

    data = files.read_bytes(path)
    if path.suffix != ".gz":
        return data
    # Bounded like the file itself: a small archive can expand without end.
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
        out = fh.read(files.DEFAULT_MAX_BYTES + 1)
    if len(out) > files.DEFAULT_MAX_BYTES:
        raise files.UnreadableFile(path, f"{path} expands past the "
                                   f"{files.megabytes(files.DEFAULT_MAX_BYTES)} limit")
    return out


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(help="A .csd, .orc, .sco, .udo or .inc file (.gz too).")],
    errors: Annotated[
        bool,
        typer.Option("--errors", help="List ERROR/MISSING nodes as file:line:col; exit 1 if any."),
    ] = False,
) -> None:
    """Print the syntax tree of a Csound file, or (--errors) its syntax errors."""
    try:
        from csound_assist import parsing

        source = read_source(file)
        tree = parsing.parse(source)
    except ImportError as exc:
        err.print(f"[red]error:[/] the Csound grammar is not installed ({exc}); "
                  "run `pip install ./grammar`")
        raise typer.Exit(2) from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        err.print(f"[red]error:[/] cannot read {file}: {exc}")
        raise typer.Exit(2) from exc

    if not errors:
        out.print("\n".join(format_tree(tree.root_node, source)), markup=False)
        return
    problems = parsing.problems(tree)
    for problem in problems:
        out.print(f"{file}:{problem.start.row + 1}:{problem.start.column + 1}: "
                  f"{problem.kind.upper()} {problem.message}", markup=False)
    if problems:
        raise typer.Exit(1)
