"""What an AI feature needs to know about the text around the cursor.

Sections and the enclosing instrument/UDO come from the shared outline (features/analysis.py):
the same reading hover, the static checks and chunking use, so a tag in a comment or an `instr`
inside `/* … */` means the same thing here as everywhere. The outline is built once per text
(the open document's, usually already built by the editor features); the rest is string slicing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from csound_assist.features.analysis import Block, Outline, outline_of_text

Section = Literal["orchestra", "score", "options", "outside"]
_SECTIONS: dict[str, Section] = {"orc": "orchestra", "sco": "score", "options": "options"}


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


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, min(offset, len(text))))


def _line_start(text: str, line: int) -> int:
    start = 0
    for _ in range(line):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    return start


def section_at(text: str, offset: int, outline: Outline | None = None) -> Section:
    """Which CSD section holds `offset`; a file without section tags is an orchestra."""
    outline = outline or outline_of_text(text)
    return _SECTIONS.get(outline.region(_line_of(text, offset)), "outside")


def csd_header(text: str, outline: Outline | None = None) -> str:
    """The orchestra header: sr, ksmps, nchnls, 0dbfs, globals — before the first instrument."""
    outline = outline or outline_of_text(text)
    lines = text.split("\n")
    orc = next((s for s in outline.sections if s.name.lower() == "csinstruments"), None)
    first, last = (orc.start_line + 1, orc.end_line) if orc is not None else (0, len(lines))
    if orc is None and outline.kind == "csd":
        return ""
    blocks = [b.start_line for b in outline.blocks if first <= b.start_line < last]
    end = blocks[0] if blocks else last
    return "\n".join(lines[first:end]).strip("\n")


def block_at(text: str, offset: int, outline: Outline | None = None) -> Block | None:
    """The instr/opcode block holding the line of `offset` (None outside any)."""
    outline = outline or outline_of_text(text)
    line = _line_of(text, offset)
    return outline.block_at(line) if outline.region(line) == "orc" else None


def enclosing_block(text: str, offset: int, outline: Outline | None = None) -> str:
    """The instr/opcode block the cursor is in, from its first line to the cursor's line."""
    block = block_at(text, offset, outline)
    if block is None:
        return ""
    line_end = text.find("\n", max(0, min(offset, len(text))))
    return text[_line_start(text, block.start_line) : len(text) if line_end < 0 else line_end]


def block_region(text: str, line: int | None, outline: Outline | None = None) -> tuple[int, int]:
    """Offsets of the closed instr/opcode block holding 0-based `line` (its header through its
    `endin`/`endop` line and newline), else of the whole text."""
    if line is None:
        return 0, len(text)
    outline = outline or outline_of_text(text)
    block = outline.block_at(line) if outline.region(line) == "orc" else None
    if block is None or not block.closed:
        return 0, len(text)
    start = _line_start(text, block.start_line)
    end = text.find("\n", _line_start(text, block.end_line))
    return start, len(text) if end < 0 else end + 1


def cursor_context(text: str, offset: int, outline: Outline | None = None) -> CursorContext:
    offset = max(0, min(offset, len(text)))
    outline = outline or outline_of_text(text)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    section = section_at(text, offset, outline)
    return CursorContext(
        prefix=text[:offset],
        suffix=text[offset:],
        line_prefix=text[line_start:offset],
        line_suffix=text[offset:line_end],
        section=section,
        header=csd_header(text, outline) if section == "orchestra" else "",
        block=enclosing_block(text, offset, outline) if section == "orchestra" else "",
    )
