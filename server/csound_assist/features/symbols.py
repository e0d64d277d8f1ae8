"""Document symbols (sections › instruments, UDOs, macros, globals) and workspace symbols."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

from lsprotocol import types

from csound_assist.features.analysis import Outline, build_outline
from csound_assist.features.document import Document, Pos, Span
from csound_assist.features.protocol import line_range, lsp_range

SK = types.SymbolKind


def document_symbols(doc: Document, kb: Any = None) -> list[types.DocumentSymbol]:
    """Sections (CsoundSynthesizer › CsInstruments …) holding instruments, UDOs, macros, globals.

    Linear in the number of symbols: broken files can have thousands of sections on one line.
    """
    if doc.too_large:
        return []
    outline = build_outline(doc, kb)
    flat = _flat_symbols(doc, outline)
    if not outline.sections:
        return [sym for _, sym in flat]
    inner = [s for s in outline.sections if s.name.lower() != "csoundsynthesizer"]
    outer = [s for s in outline.sections if s.name.lower() == "csoundsynthesizer"]
    inner_syms = [_section_symbol(doc, s) for s in inner]
    top: list[tuple[int, types.DocumentSymbol]] = []
    starts = [s.start_line for s in inner]
    for line, sym in flat:
        i = bisect_right(starts, line) - 1
        if i >= 0 and line <= inner[i].end_line:
            inner_syms[i].children.append(sym)  # type: ignore[union-attr]
        else:
            top.append((line, sym))
    top += [(s.start_line, sym) for s, sym in zip(inner, inner_syms, strict=True)]
    top.sort(key=lambda x: x[0])
    if not outer:
        return [sym for _, sym in top]
    roots: list[types.DocumentSymbol] = []
    outer_syms = [_section_symbol(doc, s) for s in outer]
    starts = [s.start_line for s in outer]
    for line, sym in top:
        i = bisect_right(starts, line) - 1
        if i >= 0 and line <= outer[i].end_line and sym.name.lower() != "csoundsynthesizer":
            outer_syms[i].children.append(sym)  # type: ignore[union-attr]
        else:
            roots.append(sym)
    return sorted(roots + outer_syms, key=lambda c: c.range.start.line)


def _section_symbol(doc: Document, section: Any) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=section.name, kind=SK.Namespace,
        range=line_range(doc, section.start_line, section.end_line),
        selection_range=line_range(doc, section.start_line, section.start_line), children=[])


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
    for name, tok in outline.struct_names.items():  # Csound 7 struct types, members inside
        members = [types.DocumentSymbol(
            name=m.text, kind=SK.Field, detail=mtype, range=lsp_range(doc, m.span),
            selection_range=lsp_range(doc, m.span)) for m, mtype in outline.structs.get(name, [])]
        out.append((tok.line, types.DocumentSymbol(
            name=f"struct {name}", kind=SK.Struct, range=line_range(doc, tok.line, tok.line),
            selection_range=lsp_range(doc, tok.span), children=members)))
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
        for name, tok in outline.struct_names.items():
            if not query or query in f"struct {name}".lower():
                out.append(types.WorkspaceSymbol(
                    name=f"struct {name}", kind=SK.Struct,
                    location=types.Location(uri=doc.uri, range=lsp_range(doc, tok.span))))
        for macro in outline.macros.values():
            if not query or query in macro.name.lower():
                out.append(types.WorkspaceSymbol(
                    name=f"${macro.name}", kind=SK.Constant,
                    location=types.Location(uri=doc.uri, range=lsp_range(doc, macro.token.span))))
        if len(out) >= limit:
            break
    return out[:limit]
