"""What the cursor is at: the context that completion, hover and signature help branch on.

The section (options / orchestra / score) and the enclosing instrument or UDO come from the outline;
the
tree, when there is one, decides whether the cursor sits in a comment or string (the lexical
blanking is
the fallback). The statement under the cursor is read from the current line, since code being typed
is
usually not yet a valid statement and would be an ERROR node in the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from csound_assist.features import kbinfo
from csound_assist.features.analysis import (
    IDENT,
    MEMBER_CHAIN,
    Block,
    Outline,
    Statement,
    build_outline,
    declared_rate,
    parse_statement,
)
from csound_assist.features.document import Document, Pos

_TRAILING_WORD = re.compile(r"[A-Za-z_0-9]*$")
_OPAQUE_NODE = re.compile(r"comment|string", re.IGNORECASE)


@dataclass
class Call:
    """An opcode (or UDO) call around the cursor and the argument the cursor is in."""

    name: str
    name_col: int
    arg_index: int
    functional: bool  # name(…) syntax
    outputs: list[str] = field(default_factory=list)


@dataclass
class Context:
    kind: str  # none|macro|directive|opcode|output|argument|score_letter|score_instr|score_gen|
    #            score_field|options|tag|header
    pos: Pos
    prefix: str  # the partial word before the cursor
    word_start: int  # column where the partial word starts
    block: Block | None = None
    outline: Outline | None = None
    output_rate: str = ""  # for kind == "opcode" after an output variable
    output_count: int = 0
    call: Call | None = None
    top_level: bool = False
    score_fields: list[str] = field(default_factory=list)
    member_of: str = ""  # kind == "member": the chain before the dot (`note`, `notes[0]`)


def in_opaque(doc: Document, outline: Outline, pos: Pos) -> bool:
    """Whether `pos` is inside a comment or a string (tree first, blanked text as fallback)."""
    tree = doc.tree
    if tree is not None:
        try:
            b = doc.byte_offset(pos)
            node = tree.root_node.descendant_for_byte_range(max(0, b - 1), max(0, b - 1))
            while node is not None:
                if _OPAQUE_NODE.search(node.type) and node.start_byte < b <= node.end_byte:
                    # The cursor right after a closing quote is outside the string.
                    closed = node.end_byte - node.start_byte > 1
                    return not ("string" in node.type and b == node.end_byte and closed)
                    return True
                node = node.parent
            return False
        except Exception:
            pass
    raw = doc.line(pos.line)[: pos.char]
    code = outline.code[pos.line][: pos.char] if pos.line < len(outline.code) else ""
    if raw != code:
        # Something before the cursor was blanked: a comment (runs to the cursor) or a string.
        for i, (a, b) in enumerate(zip(raw, code, strict=False)):
            if a != b:
                if code[i - 1: i] == '"' or a == '"':
                    return code.count('"') % 2 == 1
                return True
    return code.count('"') % 2 == 1


def find_call(code: str, line: int, col: int, st: Statement | None) -> Call | None:
    """The innermost call whose argument list contains column `col` of `code`."""
    depth = 0
    for i in range(min(col, len(code)) - 1, -1, -1):
        ch = code[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                m = re.search(r"([A-Za-z_]\w*)\s*$", code[:i])
                if m:
                    return Call(m.group(1), m.start(1), _arg_index(code, i + 1, col), True)
                depth = 0
                continue
            depth -= 1
    if st is not None and st.opcode is not None and col >= st.args_start:
        return Call(
            st.opcode.text,
            st.opcode.start,
            _arg_index(code, st.args_start, col),
            False,
            [t.text for t in st.outputs],
        )
    return None


def _arg_index(code: str, start: int, col: int) -> int:
    depth = 0
    index = 0
    for ch in code[start:col]:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            index += 1
    return index


def cursor_context(doc: Document, kb: Any, pos: Pos) -> Context:
    outline = build_outline(doc, kb)
    line = doc.line(pos.line)
    col = min(pos.char, len(line))
    pos = Pos(pos.line, col)
    prefix_text = line[:col]
    word = _TRAILING_WORD.search(prefix_text)
    start = word.start() if word else col
    prefix = prefix_text[start:]
    ctx = Context("none", pos, prefix, start, outline.block_at(pos.line), outline)
    region = outline.region(pos.line)
    if region in ("orc", "sco") and in_opaque(doc, outline, pos):
        return ctx
    before = prefix_text[:start]
    if before.endswith("$"):
        ctx.kind = "macro"
        return ctx
    if region in ("orc", "sco") and before.strip() == "#":
        ctx.kind = "directive"
        return ctx
    if region == "options":
        ctx.kind = "options"
        # Flags start with "-" or "--": widen the word to include the dashes.
        m = re.search(r"-{0,2}[A-Za-z0-9_\-]*$", prefix_text)
        if m:
            ctx.word_start, ctx.prefix = m.start(), m.group(0)
        return ctx
    if region == "other":
        if before.endswith("<") or before.endswith("</"):
            ctx.kind = "tag"
        return ctx
    if region == "sco":
        return _score_context(ctx, outline, prefix_text, before)
    return _orc_context(ctx, outline, kb, before)


def _orc_context(ctx: Context, outline: Outline, kb: Any, before: str) -> Context:
    code_line = outline.code[ctx.pos.line] if ctx.pos.line < len(outline.code) else ""
    code_before = code_line[: len(before)]
    ctx.top_level = ctx.block is None
    chain = MEMBER_CHAIN.search(code_before)
    if chain is not None:
        # Csound 7 `note.|`: the members of the struct the chain names.
        ctx.kind, ctx.member_of = "member", chain.group(1) + chain.group(2)
        return ctx
    st = parse_statement(code_before, ctx.pos.line, lambda n: kbinfo.is_opcode(kb, n)
                         or n in outline.udos())
    if st is None or (st.opcode is None and not st.outputs):
        ctx.kind = "header" if ctx.top_level else "opcode"
        return ctx
    if st.opcode is None:
        # "aSig |" → opcode of a fitting rate; "aSig, |" → another output variable.
        if code_before.rstrip().endswith(","):
            ctx.kind = "output"
            return ctx
        if not code_before.endswith((" ", "\t")):
            ctx.kind = "output"
            return ctx
        ctx.kind = "opcode"
        # `sig:a |` says its rate; `sig |` was typed with one earlier (`sig:a = …`) or by prefix.
        typ, _ = st.declared(0)
        ctx.output_rate = (declared_rate(typ) if typ
                           else outline.rate(st.outputs[0].text, ctx.pos.line))
        if typ.endswith("[]") or "[" in code_before[st.outputs[0].end: st.outputs[0].end + 3]:
            ctx.output_rate += "[]"
        ctx.output_count = len(st.outputs)
        return ctx
    call = find_call(code_line, ctx.pos.line, ctx.word_start, st)
    if call is not None:
        ctx.kind = "argument"
        ctx.call = call
        return ctx
    ctx.kind = "opcode"
    return ctx


def _score_context(ctx: Context, outline: Outline, prefix_text: str, before: str) -> Context:
    code = outline.code[ctx.pos.line][: len(prefix_text)]
    m = re.match(r"\s*([A-Za-z])", code)
    if m is None or m.end() >= len(code) and not before.strip():
        ctx.kind = "score_letter"
        return ctx
    letter = m.group(1)
    rest = code[m.end():len(before)]
    fields = re.findall(r'"[^"]*"|[^\s"]+', rest)
    ctx.score_fields = [letter, *fields]
    index = len(fields) + 1  # p-field number being typed
    if letter == "i" and index == 1:
        ctx.kind = "score_instr"
    elif letter == "f" and index == 4:
        ctx.kind = "score_gen"
    else:
        ctx.kind = "score_field"
    return ctx


__all__ = ["IDENT", "Call", "Context", "cursor_context", "find_call", "in_opaque"]
