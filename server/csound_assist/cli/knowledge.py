"""`csound-assist opcode NAME` and `csound-assist opcodes`: the knowledge base from the shell."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from csound_assist.cli import app

if TYPE_CHECKING:
    from csound_assist.knowledge import KnowledgeBase

EXIT_ENVIRONMENT = 1  # Csound missing or broken
EXIT_UNKNOWN = 2  # no such opcode


def _kb() -> KnowledgeBase:
    from csound_assist.knowledge import KnowledgeBaseError, load_knowledge_base

    try:
        kb = load_knowledge_base()
    except KnowledgeBaseError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ENVIRONMENT) from None
    for note in kb.notes:
        typer.echo(f"note: {note}", err=True)
    return kb


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command("opcode")
def opcode_cmd(
    name: Annotated[str, typer.Argument(help="Opcode name, e.g. moogladder.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show an opcode's documentation: summary, syntax, signatures, parameters, example."""
    kb = _kb()
    op = kb.get(name)
    if op is None:
        matches = kb.close_matches(name)
        hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
        typer.echo(f"error: unknown opcode {name!r}.{hint}", err=True)
        if json_out:
            _echo_json({"error": f"unknown opcode {name!r}", "suggestions": matches})
        raise typer.Exit(EXIT_UNKNOWN)
    if json_out:
        _echo_json(op.to_dict())
        return
    from rich.console import Console
    from rich.markdown import Markdown

    from csound_assist.knowledge.markdown import opcode_markdown

    Console().print(Markdown(opcode_markdown(op)))


@app.command("opcodes")
def opcodes_cmd(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every opcode the installed Csound knows, with its one-line summary."""
    kb = _kb()
    rows = [
        {"name": op.name, "summary": op.summary, "category": op.category,
         "deprecated": op.deprecated is not None}
        for op in sorted(kb.opcodes.values(), key=lambda o: o.name.lower())
    ]
    if json_out:
        _echo_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("opcode", "summary", title=f"{len(rows)} opcodes (Csound {kb.csound_version})")
    for row in rows:
        summary = row["summary"] or "[dim]no manual page[/]"
        if row["deprecated"]:
            summary = f"[dim](deprecated)[/] {summary}"
        table.add_row(row["name"], summary)
    Console().print(table)
