"""`csound-assist serve`, `hover` and `complete`: the language server and its CLI twins.

`hover` and `complete` take 1-based LINE and COL (COL counts characters, as editors show them) and
call
the same engine functions as the server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from csound_assist.cli import app


def _load(file: Path) -> Any:
    from csound_assist.features.document import UTF32, Document
    from csound_assist.lsp.documents import make_parse_fn

    # UTF-32 positions are code points: the CLI's COL is a character count.
    try:
        return Document.from_path(file, encoding=UTF32, parse_fn=make_parse_fn())
    except OSError as exc:  # missing, a device or FIFO, too large: files says which
        raise typer.BadParameter(
            f"{file} is not a readable file ({exc.strerror or exc})", param_hint="FILE"
        ) from exc


def _kb() -> Any:
    from loguru import logger

    try:
        from csound_assist.knowledge import load_knowledge_base

        return load_knowledge_base()
    except Exception as exc:
        logger.warning("knowledge base unavailable: {}", exc)
        return None


def _pos(doc: Any, line: int, col: int) -> Any:
    if line < 1 or col < 1:
        raise typer.BadParameter("LINE and COL are 1-based")
    if line > len(doc.lines):
        raise typer.BadParameter(f"the file has {len(doc.lines)} lines", param_hint="LINE")
    return doc.pos_from_client(line - 1, col - 1)


def _json(value: Any) -> str:
    from lsprotocol.converters import get_converter

    return json.dumps(get_converter().unstructure(value), indent=2, ensure_ascii=False)


@app.command("serve")
def serve(
    tcp: Annotated[str | None, typer.Option(
        "--tcp", metavar="HOST:PORT", help="Listen on TCP instead of stdio.")] = None,
) -> None:
    """Run the language server (stdio by default)."""
    from csound_assist.lsp import create_server

    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not port.isdigit():
            raise typer.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:2087", param_hint="--tcp")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()


@app.command("hover")
def hover_cmd(
    file: Annotated[Path, typer.Argument(help="A .csd, .orc, .sco, .udo or .inc file.")],
    line: Annotated[int, typer.Argument(help="1-based line.")],
    col: Annotated[int, typer.Argument(help="1-based column (characters).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the LSP Hover as JSON.")] = False,
) -> None:
    """Show what the language server's hover shows at FILE:LINE:COL."""
    from csound_assist.features.hover import hover

    doc = _load(file)
    result = hover(doc, _kb(), _pos(doc, line, col))
    if json_out:
        typer.echo(_json(result))
        return
    if result is None:
        typer.echo("(nothing to show here)", err=True)
        raise typer.Exit(1)
    contents = result.contents
    typer.echo(getattr(contents, "value", contents))


@app.command("complete")
def complete_cmd(
    file: Annotated[Path, typer.Argument(help="A .csd, .orc, .sco, .udo or .inc file.")],
    line: Annotated[int, typer.Argument(help="1-based line.")],
    col: Annotated[int, typer.Argument(help="1-based column (characters).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the LSP CompletionList.")] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many items (text output).")] = 40,
) -> None:
    """List what the language server's completion offers at FILE:LINE:COL, best first."""
    from csound_assist.features.completion import complete

    doc = _load(file)
    result = complete(doc, _kb(), _pos(doc, line, col))
    result.items = sorted(result.items, key=lambda i: (i.sort_text or i.label, i.label))
    if json_out:
        typer.echo(_json(result))
        return
    for item in result.items[:limit]:
        typer.echo(f"{item.label:<20} {item.detail or ''}")
    if len(result.items) > limit:
        typer.echo(f"… {len(result.items) - limit} more", err=True)
