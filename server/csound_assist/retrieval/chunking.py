"""Structure-aware chunking of Csound sources.

A file is cut along its structure: one chunk per instrument and per user-defined opcode, one for
the orchestra header (global settings and code outside any block), the score's function tables
together, the score's i-statements grouped by instrument, and the whole file when it is small
(≤ ~2,000 tokens). Ids are stable (`<path>#instr:Name`, `<path>#udo:Name`, `<path>#header`,
`<path>#ftables`, `<path>#notes:Name`, `<path>#file`): an unchanged file yields the same ids.

The structure comes from the tree-sitter tree (`csound_assist.parsing`). Where the grammar is not
installed, or a file has syntax errors (recovery can swallow a whole instrument), a lexical scan of
the same constructs stands in, so indexing never depends on a compiled extension or a clean parse.
Both produce `Block`s; everything after that is shared.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger

from csound_assist import lexical
from csound_assist.retrieval.types import Chunk

# Bump when chunk boundaries, ids or enrichment change: indexes built before are rebuilt.
PIPELINE_VERSION = 2
# "Small" files are also indexed whole; ~4 characters per token.
WHOLE_FILE_MAX_CHARS = 8000

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# One pass tells strings from comments, so `;` inside a string is not a comment.
_LEXEME = re.compile(r'"(?:[^"\\\n]|\\.)*"|\{\{.*?\}\}|/\*.*?\*/|(?:;|//)[^\n]*', re.S)
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


def _sections(lines: list[str], suffix: str) -> list[tuple[str, int, int]]:
    """(section, first line, last line) of the orchestra and score parts; 1-based, inclusive."""
    if suffix in (".orc", ".udo", ".inc"):
        return [("orc", 1, len(lines))]
    if suffix == ".sco":
        return [("sco", 1, len(lines))]
    out, open_at = [], {}
    for no, line in enumerate(lines, 1):
        m = lexical.tag_match(line) if "<" in line else None
        if m is None:
            continue
        name = {"csinstruments": "orc", "csscore": "sco"}.get(m.group(2).lower())
        if name is None or "=" in m.group(0):  # <CsScore bin="…">: not Csound's score
            continue
        if m.group(1):
            if name in open_at:
                out.append((name, open_at.pop(name), no - 1))
        else:
            open_at[name] = no + 1
    for name, start in open_at.items():  # unterminated section: runs to the end
        out.append((name, start, len(lines)))
    if not out and not any((t := lexical.section_tag(line)) and t[1].lower() in lexical.SECTIONS
                           for line in lines if "<" in line):
        out.append(("orc", 1, len(lines)))  # no tags at all: treat as orchestra
    return out


def lexical_blocks(text: str, suffix: str) -> list[Block]:
    lines = text.split("\n")
    code = _strip_comments(text, keep_strings=True).split("\n")
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


def _note_instrument(p1: str, previous: str = "") -> str:
    """Instrument of an i-statement: `1.2` (a tied instance) is instrument 1, `"Name"` is Name,
    `.` (carry) is the previous statement's."""
    name = p1.strip().strip('"')
    if name in (".", "+", "^") and previous:
        return previous
    return name.split(".")[0] if name.replace(".", "", 1).isdigit() else name


def _score_blocks(code: list[str], first: int, last: int) -> list[Block]:
    tables = Block("ftables", "")
    notes: dict[str, Block] = {}
    previous = ""
    for no in range(first, last + 1):
        m = _SCORE_STMT.match(code[no - 1])
        if not m:
            continue
        op, rest = m.group(1), m.group(2).split()
        if op == "f":
            tables.lines.append(no)
        elif op == "i" and rest:
            name = _note_instrument(rest[0], previous)
            notes.setdefault(name, Block("notes", name)).lines.append(no)
            previous = name
    out = [tables] if tables.lines else []
    return out + list(notes.values())


# -- structure: tree-sitter ----------------------------------------------------------------------


_local = threading.local()


def _parser() -> Callable[[bytes], object] | None:
    """A parse function for this thread (tree-sitter parsers are not thread-safe and indexing
    runs beside the language server), or None when the grammar is not installed."""
    if not hasattr(_local, "parse"):
        try:
            from csound_assist.parsing import parser

            _local.parse = parser().parse
        except ImportError:
            _local.parse = None
    return _local.parse


def _rows(node) -> list[int]:
    """1-based line numbers a node spans (a node ending at column 0 ends on the line before)."""
    start, end = node.start_point, node.end_point
    last = end[0] if end[1] > 0 or end[0] == start[0] else end[0] - 1
    return list(range(start[0] + 1, last + 2))


def _keyword_statement(node) -> str:
    """`instr`/`endin`/`opcode`/`endop` that error recovery left as a plain statement."""
    if node.type != "opcode_statement":
        return ""
    name = node.child_by_field_name("opcode")
    word = name.text.decode(errors="replace") if name is not None else ""
    return word if word in ("instr", "endin", "opcode", "endop") else ""


_DEFINITIONS = ("instrument_definition", "udo_definition")


def _tree_orchestra(items: list) -> list[Block]:
    blocks: list[Block] = []
    header = Block("header", "")
    leading: list[int] = []
    current: Block | None = None
    last_row = -1
    has_code = False
    for node in items:
        rows = _rows(node)
        if current is not None:
            current.lines.extend(rows)
            if _keyword_statement(node) in ("endin", "endop"):
                blocks.append(_contiguous(current))
                current = None
            continue
        if node.type == "comment":
            if leading and rows[0] > last_row + 1:
                header.lines.extend(leading)  # a blank line detaches earlier comments
                leading = []
            leading.extend(rows)
            last_row = rows[-1]
            continue
        if leading and rows[0] > last_row + 1:
            header.lines.extend(leading)
            leading = []
        keyword = _keyword_statement(node)
        if node.type in ("instrument_definition", "udo_definition") or keyword in (
            "instr",
            "opcode",
        ):
            kind = "instr" if node.type == "instrument_definition" or keyword == "instr" else "udo"
            block = Block(kind, _definition_name(node, kind), [*leading, *rows])
            if keyword:
                current = block  # recovered form: runs to the matching end keyword
            else:
                blocks.append(_contiguous(block))
        else:
            header.lines.extend([*leading, *rows])
            has_code = True
        leading = []
        last_row = rows[-1]
    header.lines.extend(leading)
    if current is not None:
        blocks.append(_contiguous(current))
    if has_code:
        blocks.insert(0, header)
    return blocks


def _definition_name(node, kind: str) -> str:
    if node.type == "opcode_statement":  # recovered `instr 1` / `opcode Name, a, a`
        args = node.child_by_field_name("inputs")
        spec = args.text.decode(errors="replace") if args is not None else "?"
        return _instr_name(spec) if kind == "instr" else spec.split(",")[0].strip() or "?"
    names = [n.text.decode(errors="replace") for n in node.children_by_field_name("name")]
    return _instr_name(",".join(names)) if kind == "instr" else (names[0] if names else "?")


def _tree_score(items: list, code: list[str]) -> list[Block]:
    tables = Block("ftables", "")
    notes: dict[str, Block] = {}
    last = ""
    for node in items:
        if node.type == "comment":
            continue
        if node.type != "score_statement":
            # Error recovery (`i1 0 2` glued): read those lines lexically.
            rows = _rows(node)
            for block in _score_blocks(code, rows[0], rows[-1]):
                target = (
                    tables
                    if block.kind == "ftables"
                    else notes.setdefault(block.name, Block("notes", block.name))
                )
                target.lines.extend(block.lines)
            continue
        letter = node.child_by_field_name("letter")
        pfields = node.children_by_field_name("pfield")
        op = letter.text.decode() if letter is not None else ""
        if op == "f":
            tables.lines.extend(_rows(node))
        elif op == "i" and pfields:
            name = _note_instrument(pfields[0].text.decode(errors="replace"), last)
            notes.setdefault(name, Block("notes", name)).lines.extend(_rows(node))
            last = name
    for block in notes.values():
        block.lines.sort()
    tables.lines.sort()
    return ([tables] if tables.lines else []) + list(notes.values())


def _element_items(element) -> list:
    """The items of a CSD element: its body's children plus comments outside the body."""
    body = element.child_by_field_name("body")
    items = [c for c in element.named_children if c.type in ("comment", "ERROR")]
    if body is not None:
        items.extend(body.named_children)
    return sorted(items, key=lambda n: n.start_byte)


def tree_blocks(text: str, suffix: str) -> list[Block] | None:
    """Blocks from the tree-sitter tree; None when no grammar is installed or the file has syntax
    errors."""
    parse = _parser()
    if parse is None:
        return None
    root = parse(text.encode("utf-8")).root_node
    if root.has_error:
        # Error recovery can swallow whole instruments; the lexical scan keeps every block.
        return None
    code = _strip_comments(text, keep_strings=True).split("\n")
    csd = next((c for c in root.named_children if c.type == "csd"), None)
    if csd is None:
        items = list(root.named_children)
        if suffix == ".sco" or (
            any(c.type == "score_statement" for c in items)
            and not any(c.type in _ORCHESTRA_NODES for c in items)
        ):
            return _tree_score(items, code)
        return _tree_orchestra(items)
    blocks: list[Block] = []
    for element in csd.named_children:
        if element.type == "instruments_element":
            blocks.extend(_tree_orchestra(_element_items(element)))
        elif element.type == "score_element" and element.child_by_field_name("content") is None:
            blocks.extend(_tree_score(_element_items(element), code))
    return blocks


_ORCHESTRA_NODES = frozenset(
    {"instrument_definition", "udo_definition", "opcode_statement", "assignment_statement"}
)


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
    try:
        blocks = tree_blocks(text, suffix)
    except Exception as exc:  # noqa: BLE001 - a grammar bug must not stop indexing
        logger.warning("tree-sitter chunking of {} failed ({}); using the lexical scan", path, exc)
        blocks = None
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
