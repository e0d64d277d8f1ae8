"""What an AI feature needs to know about the text around the cursor: pure string functions.

Regex over lines, not the parse tree: these run on every keystroke and must stay well under a
millisecond on large files, and they tolerate the half-typed code a completion is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Section = Literal["orchestra", "score", "options", "outside"]

_OPEN = re.compile(r"^[ \t]*(instr|opcode)\b", re.M)
_CLOSE = re.compile(r"^[ \t]*(endin|endop)\b", re.M)
_TAG = re.compile(r"<(/?)(CsInstruments|CsScore|CsOptions)\b[^>]*>", re.I)


@dataclass(frozen=True, slots=True)
class CursorContext:
    prefix: str
    suffix: str
    line_prefix: str  # text left of the cursor on its line
    line_suffix: str  # text right of the cursor on its line
    section: Section
    header: str
    block: str  # the instrument/UDO around the cursor, up to the cursor line


def offset_at(text: str, line: int, character: int) -> int:
    """Offset of an LSP (line, UTF-16 character) position; clamped to the text."""
    start = 0
    for _ in range(line):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    units = 0
    i = start
    while i < end and units < character:
        units += 2 if ord(text[i]) > 0xFFFF else 1
        i += 1
    return i


def section_at(text: str, offset: int) -> Section:
    """Which CSD section holds `offset`; a file without tags is an orchestra (.orc) unless it
    looks like a score (.sco)."""
    current: Section = "outside"
    seen = False
    for m in _TAG.finditer(text, 0, offset):
        seen = True
        closing, name = m.group(1), m.group(2).lower()
        if closing:
            current = "outside"
        else:
            current = {"csinstruments": "orchestra", "csscore": "score"}.get(name, "options")  # type: ignore[assignment]
    if seen:
        return current
    return "orchestra"


def csd_header(text: str) -> str:
    """The orchestra header: sr, ksmps, nchnls, 0dbfs, globals — before the first instrument."""
    lower = text.lower()
    start = lower.find("<csinstruments>")
    start = 0 if start < 0 else start + len("<csinstruments>")
    m = _OPEN.search(text, start)
    end = m.start() if m else lower.find("</csinstruments>", start)
    if end < 0:
        end = len(text)
    return text[start:end].strip("\n")


def enclosing_block(text: str, offset: int) -> str:
    """The instr/opcode block the cursor is in, from its first line to the cursor's line."""
    opener = None
    for m in _OPEN.finditer(text, 0, offset):
        opener = m
    if opener is None:
        return ""
    if _CLOSE.search(text, opener.end(), offset):
        return ""  # the last block closed before the cursor
    line_end = text.find("\n", offset)
    return text[opener.start() : len(text) if line_end < 0 else line_end]


def cursor_context(text: str, offset: int) -> CursorContext:
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    section = section_at(text, offset)
    return CursorContext(
        prefix=text[:offset],
        suffix=text[offset:],
        line_prefix=text[line_start:offset],
        line_suffix=text[offset:line_end],
        section=section,
        header=csd_header(text) if section == "orchestra" else "",
        block=enclosing_block(text, offset) if section == "orchestra" else "",
    )
