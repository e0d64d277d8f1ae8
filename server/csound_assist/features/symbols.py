"""Document symbols (sections › instruments, UDOs, macros, globals) and workspace symbols."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lsprotocol import types

from csound_assist.features.analysis import Outline, build_outline
from csound_assist.features.document import Document, Pos, Span
from csound_assist.features.protocol import line_range, lsp_range

SK = types.SymbolKind


def document_symbols(doc: Document, kb: Any = None) -> list[types.DocumentSymbol]:
    outline = build_outline(doc, kb)
    flat = _flat_symbols(doc, outline)
    if not outline.sections:
        return [s for _, s in flat]
    # Innermost section first, so a symbol lands in CsInstruments rather than CsoundSynthesizer.
    placed: set[int] = set()
    section_syms: list[tuple[int, int, types.DocumentSymbol]] = []
    for section in sorted(outline.sections, key=lambda s: s.end_line - s.start_line):
        children: list[types.DocumentSymbol] = []
        for start, end, sym in section_syms:
            if section.start_line <= start and end <= section.end_line and id(sym) not in placed:
                children.append(sym)
                placed.add(id(sym))
        for i, (line, sym) in enumerate(flat):
            if section.start_line <= line <= section.end_line and i not in placed:
                children.append(sym)
                placed.add(i)
        children.sort(key=lambda c: c.range.start.line)
        section_syms.append((section.start_line, section.end_line, types.DocumentSymbol(
            name=section.name, kind=SK.Namespace,
            range=line_range(doc, section.start_line, section.end_line),
            selection_range=line_range(doc, section.start_line, section.start_line),
            children=children)))
    roots = [sym for _, _, sym in section_syms if id(sym) not in placed]
    roots += [s for i, (_, s) in enumerate(flat) if i not in placed]
    return sorted(roots, key=lambda c: c.range.start.line)


def _flat_symbols(doc: Document, outline: Outline) -> list[tuple[int, types.DocumentSymbol]]:
    out: list[tuple[int, types.DocumentSymbol]] = []
    for block in outline.blocks:
        kind = SK.Class if block.kind == "instr" else SK.Function
        sel = block.names[0].span if block.names else Span.on_line(block.start_line, 0, 0)
        detail = block.doc.splitlines()[0] if block.doc else block.header
        out.append((block.start_line, types.DocumentSymbol(
            name=("instr " if block.kind == "instr" else "opcode ") + block.name,
            kind=kind, range=line_range(doc, block.start_line, block.end_line),
            selection_range=lsp_range(doc, sel), detail=detail)))
    for macro in outline.macros.values():
        out.append((macro.token.line, types.DocumentSymbol(
            name=f"${macro.name}", kind=SK.Constant, range=lsp_range(doc, macro.token.span),
            selection_range=lsp_range(doc, macro.token.span), detail=macro.body[:60])))
    for var in outline.globals.values():
        if var.block is not None:
            continue
        out.append((var.definition.line, types.DocumentSymbol(
            name=var.name, kind=SK.Variable if var.name.startswith("g") else SK.Constant,
            range=lsp_range(doc, var.definition.span),
            selection_range=lsp_range(doc, var.definition.span),
            detail=f"{var.rate or '?'}-rate global")))
    out.sort(key=lambda x: x[0])
    return out


def workspace_symbols(docs: Iterable[Document], query: str, kb: Any = None,
                      limit: int = 500) -> list[types.WorkspaceSymbol]:
    query = query.lower()
    out: list[types.WorkspaceSymbol] = []
    for doc in docs:
        outline = build_outline(doc, kb)
        for block in outline.blocks:
            name = ("instr " if block.kind == "instr" else "opcode ") + block.name
            if query and query not in name.lower():
                continue
            sel = block.names[0].span if block.names else Span(Pos(block.start_line, 0),
                                                               Pos(block.start_line, 0))
            out.append(types.WorkspaceSymbol(
                name=name, kind=SK.Class if block.kind == "instr" else SK.Function,
                location=types.Location(uri=doc.uri, range=lsp_range(doc, sel))))
        for macro in outline.macros.values():
            if not query or query in macro.name.lower():
                out.append(types.WorkspaceSymbol(
                    name=f"${macro.name}", kind=SK.Constant,
                    location=types.Location(uri=doc.uri, range=lsp_range(doc, macro.token.span))))
        if len(out) >= limit:
            break
    return out[:limit]
