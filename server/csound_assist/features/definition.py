"""Go to definition and find references: instruments (with score `i` events and
schedule/event/subinstr
calls), UDOs, global and local variables, macros and labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from csound_assist.features.analysis import (
    Block,
    Outline,
    Token,
    build_outline,
    identifier_occurrences,
    word_at,
)
from csound_assist.features.context import in_opaque
from csound_assist.features.document import Document, Pos, Span
from csound_assist.features.protocol import lsp_range

# Opcodes that name an instrument, and which argument does.
INSTR_ARG = {"schedule": 0, "schedulek": 0, "schedkwhen": 4, "schedkwhennamed": 4, "schedwhen": 1,
             "event": 1, "event_i": 1, "subinstr": 0, "subinstrinit": 0, "nstrnum": 0,
             "turnoff2": 0, "turnoff2_i": 0, "turnoff3": 0, "nstrstr": 0, "active": 0}
_WORD = re.compile(r'"[^"\n]*"|\$?[A-Za-z_]\w*|\d+(?:\.\d+)?')


@dataclass
class Symbol:
    """What the cursor names: kind, name, where it is defined, and the scope to search."""

    kind: str  # variable | udo | instr | macro | label
    name: str
    definition: Token | None
    block: Block | None = None  # scope for locals and labels


def resolve_symbol(doc: Document, kb: Any, pos: Pos) -> tuple[Symbol, Span] | None:
    outline = build_outline(doc, kb)
    region = outline.region(pos.line)
    if region not in ("orc", "sco"):
        return None
    line = doc.line(pos.line)
    hit = word_at(line, pos.char, _WORD)
    if hit is None:
        return None
    word, start, end = hit
    span = Span.on_line(pos.line, start, end)
    if region == "sco":
        return _score_symbol(outline, pos, line, word, span)
    if word.startswith("$"):
        macro = outline.macros.get(word[1:])
        return (Symbol("macro", word[1:], macro.token if macro else None), span)
    quoted = word.startswith('"')
    if not quoted and in_opaque(doc, outline, pos):
        return None
    block = outline.block_at(pos.line)
    # Instrument header names and instrument arguments of schedule/event/….
    if block is not None and block.kind == "instr" and block.start_line == pos.line:
        tok = next((t for t in block.names if t.start <= pos.char <= t.end), None)
        if tok is not None:
            return Symbol("instr", tok.text.lstrip("+"), tok), span
    st = outline.statements.get(pos.line)
    if st is not None and st.opcode is not None and st.opcode.text in INSTR_ARG:
        idx = INSTR_ARG[st.opcode.text]
        if idx < len(st.args) and st.args[idx][0] <= start and end <= st.args[idx][1]:
            target = outline.find_instrument(word.strip('"'))
            name = word.strip('"')
            return Symbol("instr", name, _instr_token(target, name)), span
    if quoted:
        return None
    udo = outline.udos().get(word)
    if udo is not None:
        return Symbol("udo", word, udo.names[0]), span
    var = outline.variable(word, pos.line)
    if var is not None:
        return Symbol("variable", word, var.definition, var.block), span
    for label, lblock in outline.labels:
        if label.text == word and lblock is block:
            return Symbol("label", word, label, block), span
    return None


def _instr_token(block: Block | None, name: str) -> Token | None:
    if block is None:
        return None
    return next((t for t in block.names if t.text.lstrip("+") == name), block.names[0])


def _score_symbol(outline: Outline, pos: Pos, line: str, word: str,
                  span: Span) -> tuple[Symbol, Span] | None:
    ev = next((e for e in outline.score if e.letter.line == pos.line), None)
    if ev is None or ev.letter.text != "i" or not ev.fields:
        return None
    first = ev.fields[0]
    if not first.start <= pos.char <= first.end:
        return None
    name = _instr_key(first.text)
    return Symbol("instr", name, _instr_token(outline.find_instrument(name), name)), span


def _instr_key(text: str) -> str:
    text = text.strip('"')
    if re.fullmatch(r"\d+(?:\.\d*)?", text):
        return str(int(float(text)))  # i 1.2 plays instrument 1
    return text


def definition(doc: Document, kb: Any, pos: Pos) -> list[types.Location]:
    found = resolve_symbol(doc, kb, pos)
    if found is None or found[0].definition is None:
        return []
    sym = found[0]
    return [types.Location(uri=doc.uri, range=lsp_range(doc, sym.definition.span))]


def references(doc: Document, kb: Any, pos: Pos, include_declaration: bool = True) -> list[
        types.Location]:
    found = resolve_symbol(doc, kb, pos)
    if found is None:
        return []
    spans = reference_spans(doc, kb, found[0])
    if not include_declaration and found[0].definition is not None:
        spans = [s for s in spans if s != found[0].definition.span]
    return [types.Location(uri=doc.uri, range=lsp_range(doc, s)) for s in spans]


def reference_spans(doc: Document, kb: Any, sym: Symbol) -> list[Span]:
    outline = build_outline(doc, kb)
    spans: list[Span] = []
    if sym.kind == "macro":
        pat = re.compile(r"\$" + re.escape(sym.name) + r"\b")
        for i, line in enumerate(doc.lines):
            spans += [Span.on_line(i, m.start(), m.end()) for m in pat.finditer(line)]
        if sym.definition is not None:
            spans.insert(0, sym.definition.span)
        return spans
    if sym.kind == "instr":
        return _instr_refs(doc, outline, sym)
    lines = range(len(outline.code))
    if sym.block is not None:
        lines = range(sym.block.start_line, sym.block.end_line + 1)
    for i in lines:
        if outline.regions[i] != "orc":
            continue
        found = identifier_occurrences(outline.code[i], sym.name)
        spans += [Span.on_line(i, a, b) for a, b in found]
    return spans


def _instr_refs(doc: Document, outline: Outline, sym: Symbol) -> list[Span]:
    spans: list[Span] = []
    if sym.definition is not None:
        spans.append(sym.definition.span)
    for ev in outline.score:
        if ev.letter.text == "i" and ev.fields and _instr_key(ev.fields[0].text) == sym.name:
            spans.append(ev.fields[0].span)
    for line_no, st in outline.statements.items():
        if st.opcode is None or st.opcode.text not in INSTR_ARG:
            continue
        idx = INSTR_ARG[st.opcode.text]
        if idx >= len(st.args):
            continue
        a, b = st.args[idx]
        raw = doc.line(line_no)[a:b]
        if _instr_key(raw) == sym.name:
            spans.append(Span.on_line(line_no, a, b))
    return spans
