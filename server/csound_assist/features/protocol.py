"""Conversion of engine spans into `lsprotocol` values (client position encoding applied here
only)."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.features.document import Document, Pos, Span


def position(doc: Document, pos: Pos) -> types.Position:
    line, char = doc.pos_to_client(pos)
    return types.Position(line=line, character=char)


def lsp_range(doc: Document, span: Span) -> types.Range:
    return types.Range(start=position(doc, span.start), end=position(doc, span.end))


def line_range(doc: Document, start_line: int, end_line: int) -> types.Range:
    """Whole lines start_line..end_line (inclusive)."""
    end = Span(Pos(start_line, 0), Pos(end_line, len(doc.line(end_line))))
    return lsp_range(doc, end)


def markdown(text: str) -> types.MarkupContent:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)


def code_block(text: str) -> str:
    return f"```csound\n{text}\n```"
