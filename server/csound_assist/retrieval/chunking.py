"""Structure-aware chunking of Csound sources.

A file is cut along its structure: one chunk per instrument and per user-defined opcode, one for
the orchestra header (global settings and code outside any block), the score's function tables
together, the score's i-statements grouped by instrument, and the whole file when it is small
(≤ ~2,000 tokens). Ids are stable (`<path>#instr:Name`, `<path>#udo:Name`, `<path>#header`,
`<path>#ftables`, `<path>#notes:Name`, `<path>#file`): an unchanged file yields the same ids.

The structure is the shared outline's (features/analysis.py): the tree-sitter tree where the
grammar is installed, the outline's line reading where it is not, and instruments the tree's error
recovery swallows read from their lines — the same blocks hover, the static checks and the AI
features see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csound_assist import lexical
from csound_assist.features.analysis import Outline, build_outline
from csound_assist.features.document import Document
from csound_assist.retrieval.types import Chunk

# Bump when chunk boundaries, ids or enrichment change: indexes built before are rebuilt.
PIPELINE_VERSION = 3
# "Small" files are also indexed whole; ~4 characters per token.
WHOLE_FILE_MAX_CHARS = 8000

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# One pass tells strings from comments, so `;` inside a string is not a comment.
_LEXEME = re.compile(r'"(?:[^"\\\n]|\\.)*"|\{\{.*?\}\}|/\*.*?\*/|(?:;|//)[^\n]*', re.S)


@dataclass
class Block:
    """A structural piece of a file; lines are 1-based and inclusive."""

    kind: str
    name: str
    lines: list[int] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.lines[0]

    @property
    def end(self) -> int:
        return self.lines[-1]


def _strip_comments(code: str, *, keep_strings: bool = False) -> str:
    """`code` with comments blanked (line breaks kept) and, unless `keep_strings`, strings too."""

    def blank(m: re.Match[str]) -> str:
        lexeme = m.group()
        if keep_strings and lexeme[0] in '"{':
            return lexeme
        return '""' if lexeme[0] in '"{' else "\n" * lexeme.count("\n")

    return _LEXEME.sub(blank, code)


def comments_of(text: str) -> str:
    """The prose of the comments in `text`, whitespace-collapsed, without separator lines."""
    parts = []
    for m in _LEXEME.finditer(text):
        lexeme = m.group()
        if lexeme.startswith("/*"):
            parts.append(lexeme[2:-2])
        elif lexeme[0] in ";/":
            parts.append(lexeme.lstrip(";/"))
    words = " ".join(" ".join(p.strip(" ;/*-=#~_").split()) for p in parts)
    return " ".join(words.split())


def opcodes_in(text: str, is_opcode: Callable[[str], bool]) -> tuple[str, ...]:
    """Known opcodes used in `text` (comments and strings ignored), in order of first use."""
    seen: dict[str, None] = {}
    for word in _IDENT.findall(_strip_comments(text)):
        if word not in seen and is_opcode(word):
            seen[word] = None
    return tuple(seen)


# -- structure: lexical scan ---------------------------------------------------------------------


def _parser() -> Callable[[bytes, Any], Any] | None:
    """The parse function for the outline (parsing.parse keeps one parser per thread: indexing
    runs beside the language server), or None when the grammar is not installed."""
    try:
        from csound_assist import parsing

        parsing.language()
    except Exception:  # noqa: BLE001 — ImportError, or a binding built for another ABI
        return None
    return parsing.parse


def _kind(lines: list[str], suffix: str) -> str:
    if suffix in (".orc", ".udo", ".inc"):
        return "orc"
    if suffix == ".sco":
        return "sco"
    tagged = any((t := lexical.section_tag(line)) and t[1].lower() in lexical.SECTIONS
                 for line in lines if "<" in line)
    return "csd" if tagged else "orc"  # no tags at all: an orchestra


def outline_blocks(text: str, suffix: str) -> list[Block]:
    """The file's blocks as the shared outline reads it (with the tree when the grammar is
    installed; instruments its error recovery loses are still read): instruments, UDOs, the
    orchestra header, the score's tables and notes per instrument."""
    lines = text.split("\n")
    data = text.encode("utf-8", "replace")
    doc = Document(uri="untitled:chunk", source=data, kind=_kind(lines, suffix),
                   parse_fn=_parser(), max_bytes=len(data) + 1)
    out = build_outline(doc)
    return _orchestra_blocks(out, lines) + _score_blocks(out, lines)


def _orchestra_blocks(out: Outline, lines: list[str]) -> list[Block]:
    """Instruments, UDOs and the header; comment lines right above a block belong to it."""
    blocks: list[Block] = []
    owned: set[int] = set()  # 0-based lines that belong to a block
    starts = [b.start_line for b in out.blocks] + [len(lines)]
    for k, b in enumerate(out.blocks):
        if out.region(b.start_line) != "orc":
            continue
        last = min(b.end_line, starts[k + 1] - 1)  # an unclosed block stops at the next one
        first = b.start_line
        while (first > 0 and first - 1 not in owned and out.region(first - 1) == "orc"
               and lines[first - 1].strip() and not out.code[first - 1].strip()):
            first -= 1  # comment-only lines directly above
        rows = range(first, last + 1)
        owned.update(rows)
        if b.kind == "instr":
            name = _instr_name(",".join(t.text for t in b.names))
            blocks.append(Block("instr", name, [n + 1 for n in rows]))
        else:
            blocks.append(Block("udo", b.names[0].text if b.names else "?",
                                [n + 1 for n in rows]))
    header = [i for i in range(len(lines))
              if out.region(i) == "orc" and i not in owned and lines[i].strip()]
    if any(out.code[i].strip() for i in header):
        blocks.insert(0, Block("header", "", [i + 1 for i in header]))
    return blocks


def _instr_name(spec: str) -> str:
    names = [n.strip().lstrip("+") for n in spec.split(",") if n.strip()]
    return ",".join(names) or "?"


def _note_instrument(p1: str, previous: str = "") -> str:
    """Instrument of an i-statement: `1.2` (a tied instance) is instrument 1, `"Name"` is Name,
    `.` (carry) is the previous statement's."""
    name = p1.strip().strip('"')
    if name in (".", "+", "^") and previous:
        return previous
    return name.split(".")[0] if name.replace(".", "", 1).isdigit() else name


_CONTINUED = re.compile(r"\s*[-+.\d]")


def _score_blocks(out: Outline, lines: list[str]) -> list[Block]:
    # <CsScore bin="…">: the section is an external program's input, not Csound's score.
    foreign = [(s.start_line, s.end_line) for s in out.sections
               if s.name.lower() == "csscore" and "=" in lines[s.start_line]]
    tables = Block("ftables", "")
    notes: dict[str, Block] = {}
    previous = ""
    for ev in out.score:
        row = ev.letter.line
        if any(a <= row <= b for a, b in foreign):
            continue
        if ev.letter.text == "f":
            tables.lines.append(row + 1)
            nxt = row + 1  # a table's numbers may go on over the next lines
            while nxt < len(lines) and out.region(nxt) == "sco" and _CONTINUED.match(
                    out.code[nxt]):
                nxt += 1
                tables.lines.append(nxt)
        elif ev.letter.text == "i" and ev.fields:
            name = _note_instrument(ev.fields[0].text, previous)
            notes.setdefault(name, Block("notes", name)).lines.append(row + 1)
            previous = name
    return ([tables] if tables.lines else []) + list(notes.values())


# -- chunks --------------------------------------------------------------------------------------


def chunk_file(
    path: str, text: str, *, is_opcode: Callable[[str], bool] | None = None
) -> list[Chunk]:
    """The chunks of one source file (no enrichment header yet); `is_opcode` tells opcode names
    (by default from the knowledge base)."""
    if is_opcode is None:
        from csound_assist.retrieval.enrich import Enricher

        is_opcode = Enricher().is_opcode
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    suffix = Path(path).suffix.lower()
    blocks = outline_blocks(text, suffix)
    chunks: list[Chunk] = []
    used_ids: set[str] = set()

    def add(kind: str, name: str, line_numbers: Iterable[int], key: str) -> None:
        numbers = sorted(set(line_numbers))
        body = "\n".join(lines[n - 1] for n in numbers).strip("\n")
        if not body.strip():
            return
        cid = f"{path}#{key}"
        if cid in used_ids:  # the same instrument name twice: disambiguate by line
            cid = f"{cid}@{numbers[0]}"
        used_ids.add(cid)
        chunks.append(
            Chunk(
                id=cid,
                path=path,
                kind=kind,
                text=body,
                start_line=numbers[0],
                end_line=numbers[-1],
                name=name,
                opcodes=opcodes_in(body, is_opcode) if kind not in ("ftables", "notes") else (),
                comments=comments_of(body),
            )
        )

    for block in blocks:
        key = {
            "instr": f"instr:{block.name}",
            "udo": f"udo:{block.name}",
            "notes": f"notes:{block.name}",
        }.get(block.kind, block.kind)
        add(block.kind, block.name, block.lines, key)
    if len(text) <= WHOLE_FILE_MAX_CHARS and len(chunks) != 1:
        orchestra_and_score = [n for b in blocks for n in b.lines]
        whole = Chunk(
            id=f"{path}#file",
            path=path,
            kind="file",
            text=text.strip("\n"),
            start_line=1,
            end_line=len(lines),
            opcodes=opcodes_in(text, is_opcode),
            # Comments from the code only: CsOptions boilerplate says nothing about the file.
            comments=comments_of("\n".join(lines[n - 1] for n in sorted(set(orchestra_and_score)))),
        )
        if whole.text.strip():
            chunks.insert(0, whole)
    return chunks
