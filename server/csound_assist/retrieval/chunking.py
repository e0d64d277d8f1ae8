"""Structure-aware chunking of Csound sources.

A file is cut along its structure: one chunk per instrument and per user-defined opcode, one for
the orchestra header (global settings and code outside any block), the score's function tables
together, the score's i-statements grouped by instrument, and the whole file when it is small
(≤ ~2,000 tokens). Ids are stable (`<path>#instr:Name`, `<path>#udo:Name`, `<path>#header`,
`<path>#ftables`, `<path>#notes:Name`, `<path>#file`): an unchanged file yields the same ids.

The structure comes from the tree-sitter tree (`csound_assist.parsing`); where the grammar is not
installed a lexical scan of the same constructs stands in, so indexing never depends on a compiled
extension. Both produce `Block`s; everything after that is shared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from csound_assist.retrieval.types import Chunk

# Bump when chunk boundaries, ids or enrichment change: indexes built before are rebuilt.
PIPELINE_VERSION = 1
# "Small" files are also indexed whole; ~4 characters per token.
WHOLE_FILE_MAX_CHARS = 8000

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LINE_COMMENT = re.compile(r"(?:;|//)(.*)$")
_BLOCK_COMMENT = re.compile(r"/\*(.*?)\*/", re.S)
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\{\{.*?\}\}', re.S)
_SECTION = re.compile(r"<(/?)(CsInstruments|CsScore|CsOptions)\b[^>]*>", re.I)
_INSTR = re.compile(r"^\s*instr\s+(.+?)\s*$")
_ENDIN = re.compile(r"^\s*endin\b")
_OPCODE = re.compile(r"^\s*opcode\s+([A-Za-z_][A-Za-z0-9_]*)")
_ENDOP = re.compile(r"^\s*endop\b")
_SCORE_STMT = re.compile(r"^\s*([a-zA-Z])(?=[\s\d\"\-.]|$)\s*(.*)$")


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


def _strip_comments(code: str) -> str:
    code = _BLOCK_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), code)
    return "\n".join(_LINE_COMMENT.sub("", _STRING.sub('""', line)) for line in code.split("\n"))


def comments_of(text: str) -> str:
    """The prose of the comments in `text`, whitespace-collapsed, without separator lines."""
    parts = [m.group(1) for m in _BLOCK_COMMENT.finditer(text)]
    for line in _BLOCK_COMMENT.sub("", _STRING.sub('""', text)).split("\n"):
        m = _LINE_COMMENT.search(line)
        if m:
            parts.append(m.group(1))
    words = " ".join(" ".join(p.strip(" ;/*-=#").split()) for p in parts)
    return " ".join(words.split())


def opcodes_in(text: str, is_opcode: Callable[[str], bool]) -> tuple[str, ...]:
    """Known opcodes used in `text` (comments and strings ignored), in order of first use."""
    seen: dict[str, None] = {}
    for word in _IDENT.findall(_strip_comments(text)):
        if word not in seen and is_opcode(word):
            seen[word] = None
    return tuple(seen)


# -- structure: lexical scan ---------------------------------------------------------------------


def _sections(lines: list[str], suffix: str) -> list[tuple[str, int, int]]:
    """(section, first line, last line) of the orchestra and score parts; 1-based, inclusive."""
    if suffix in (".orc", ".udo", ".inc"):
        return [("orc", 1, len(lines))]
    if suffix == ".sco":
        return [("sco", 1, len(lines))]
    out, open_at = [], {}
    for no, line in enumerate(lines, 1):
        for m in _SECTION.finditer(line):
            name = {"csinstruments": "orc", "csscore": "sco"}.get(m.group(2).lower())
            if name is None:
                continue
            if m.group(1):
                if name in open_at:
                    out.append((name, open_at.pop(name), no - 1))
            else:
                open_at[name] = no + 1
    for name, start in open_at.items():  # unterminated section: runs to the end
        out.append((name, start, len(lines)))
    if not out and not _SECTION.search("\n".join(lines)):
        out.append(("orc", 1, len(lines)))  # no tags at all: treat as orchestra
    return out


def lexical_blocks(text: str, suffix: str) -> list[Block]:
    lines = text.split("\n")
    code = _strip_comments(text).split("\n")
    blocks: list[Block] = []
    for section, first, last in _sections(lines, suffix):
        if section == "orc":
            blocks.extend(_orchestra_blocks(lines, code, first, last))
        else:
            blocks.extend(_score_blocks(code, first, last))
    return blocks


def _orchestra_blocks(lines: list[str], code: list[str], first: int, last: int) -> list[Block]:
    """Instruments, UDOs and the header; comment lines right above a block belong to it."""
    blocks: list[Block] = []
    header = Block("header", "")
    current: Block | None = None
    leading: list[int] = []  # comment-only lines waiting to see what follows them
    for no in range(first, last + 1):
        line = code[no - 1]
        if current is None:
            if not line.strip():
                if lines[no - 1].strip():
                    leading.append(no)
                else:
                    header.lines.extend(leading)  # a blank line detaches the comments
                    leading = []
                continue
            if m := _INSTR.match(line):
                current = Block("instr", _instr_name(m.group(1)), [*leading, no])
            elif m := _OPCODE.match(line):
                current = Block("udo", m.group(1), [*leading, no])
            else:
                header.lines.extend([*leading, no])
            leading = []
            continue
        current.lines.append(no)
        if (current.kind == "instr" and _ENDIN.match(line)) or (
            current.kind == "udo" and _ENDOP.match(line)
        ):
            blocks.append(_contiguous(current))
            current = None
    header.lines.extend(leading)
    if current is not None:  # unterminated block: keep what there is
        blocks.append(_contiguous(current))
    if any(code[n - 1].strip() for n in header.lines):
        blocks.insert(0, header)
    return blocks


def _instr_name(spec: str) -> str:
    names = [n.strip().lstrip("+") for n in spec.split(",") if n.strip()]
    return ",".join(names) or "?"


def _contiguous(block: Block) -> Block:
    block.lines = list(range(block.start, block.end + 1))
    return block


def _score_blocks(code: list[str], first: int, last: int) -> list[Block]:
    tables = Block("ftables", "")
    notes: dict[str, Block] = {}
    for no in range(first, last + 1):
        m = _SCORE_STMT.match(code[no - 1])
        if not m:
            continue
        op, rest = m.group(1), m.group(2).split()
        if op == "f":
            tables.lines.append(no)
        elif op == "i" and rest:
            name = rest[0].strip('"')
            name = name.split(".")[0] if name.replace(".", "").isdigit() else name
            notes.setdefault(name, Block("notes", name)).lines.append(no)
    out = [tables] if tables.lines else []
    return out + list(notes.values())


# -- structure: tree-sitter ----------------------------------------------------------------------


def tree_blocks(text: str, suffix: str) -> list[Block] | None:
    """Blocks from the tree-sitter tree, or None when the grammar is not installed."""
    try:
        from csound_assist import parsing
    except ImportError:
        return None
    del parsing  # wired when the grammar's node types are published
    return None


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
    blocks = tree_blocks(text, suffix)
    if blocks is None:
        blocks = lexical_blocks(text, suffix)
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
