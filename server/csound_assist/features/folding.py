"""Folding ranges: CSD sections, instr/opcode blocks, if/while/until blocks, comment blocks."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from csound_assist.features.analysis import build_outline
from csound_assist.features.document import Document

_OPEN = re.compile(r"^\s*(?:\w+:\s*)?(if\b.*\bthen\b|while\b.*\bdo\b|until\b.*\bdo\b)")
_MIDDLE = re.compile(r"^\s*(elseif\b|else\b)")
_CLOSE = re.compile(r"^\s*(endif|od|fi)\b")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def folding_ranges(doc: Document, kb: Any = None) -> list[types.FoldingRange]:
    if doc.too_large:
        return []
    outline = build_outline(doc, kb)
    out: list[types.FoldingRange] = []
    for s in outline.sections:
        if s.end_line > s.start_line:
            out.append(types.FoldingRange(start_line=s.start_line, end_line=s.end_line - 1,
                                          kind=types.FoldingRangeKind.Region))
    for b in outline.blocks:
        if b.end_line > b.start_line:
            out.append(types.FoldingRange(start_line=b.start_line, end_line=b.end_line - 1))
    stack: list[int] = []
    for i, code in enumerate(outline.code):
        if outline.regions[i] != "orc":
            continue
        if _OPEN.match(code):
            stack.append(i)
        elif _MIDDLE.match(code) and stack:
            start = stack.pop()
            if i - 1 > start:
                out.append(types.FoldingRange(start_line=start, end_line=i - 1))
            stack.append(i)
        elif _CLOSE.match(code) and stack:
            start = stack.pop()
            if i - 1 > start:
                out.append(types.FoldingRange(start_line=start, end_line=i - 1))
    for start, end in outline.comment_blocks:
        out.append(types.FoldingRange(start_line=start, end_line=end,
                                      kind=types.FoldingRangeKind.Comment))
    text = doc.text
    if "/*" in text:
        for m in _BLOCK_COMMENT.finditer(text):
            a = text.count("\n", 0, m.start())
            b = a + m.group(0).count("\n")
            if b > a:
                out.append(types.FoldingRange(start_line=a, end_line=b,
                                              kind=types.FoldingRangeKind.Comment))
    return out
