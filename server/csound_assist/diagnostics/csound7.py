"""Csound 7 syntax checked with a Csound 6: one clear diagnostic instead of the compiler's errors.

Csound 6 stops at the first construct it does not know (`freq:i = p4`, `opcode Sine(amp:k):a`,
`switch`, `for … in`, `struct`) with a bare "syntax error, unexpected ':'" and, for some, a cascade
after it. When the installed Csound is older than 7 and the tree shows a Csound 7 construct, the
static checks say so once, naming the first construct and the installed version, and `merge`
drops the compiler's errors for that file (their words stay in the message).

The opcode side: in a Csound 7 file Csound 7's own opcodes and new names count as opcodes, and an
opcode the installed Csound does not list is a warning (it may be Csound 7's); in a Csound 6 file
a Csound 7 name says which name the installed Csound knows (`zdfladder` → `zdf_ladder`).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from csound_assist.diagnostics.model import SOURCE_COMPILER, Code, Edit, Fix, diagnostic
from csound_assist.knowledge import csound7_names

if TYPE_CHECKING:
    from tree_sitter import Node

# Cheap pre-filter: text without any of these has no Csound 7 construct the tree could show.
_HINT = re.compile(
    r"\w(?:@global)?:[A-Za-z]|\bopcode\s+\w+\s*\(|\b(?:struct|switch|for|true|false)\b"
    r"|\[|[\w\]]\.[A-Za-z_]"
)
_PARSE_LIMIT = 1 << 20
# Node type → what to call it; `output` and `udo_definition` are told apart by their fields.
_CONSTRUCTS = {
    "struct_definition": "a struct definition",
    "switch_statement": "a switch statement",
    "for_statement": "a for … in loop",
    "boolean": "the boolean constant",
    "array_literal": "an array literal",
    "member_expression": "struct member access",
    "member_access": "struct member access",
}


@dataclass(frozen=True, slots=True)
class Construct:
    """The first Csound 7 construct of a file: what it is, its text and where (0-based, chars)."""

    what: str
    text: str
    line: int
    start: int
    end: int


def installed_major(version: str) -> int | None:
    """6 for "6.18.1", None when the version is unknown (no Csound, unreadable output)."""
    m = re.match(r"\s*(\d+)\.", version or "")
    return int(m.group(1)) if m else None


def _kind(node: Node) -> str | None:
    if node.type in _CONSTRUCTS:
        return _CONSTRUCTS[node.type]
    if node.type == "output":
        if node.child_by_field_name("scope") is not None:
            return "a global declaration"
        if node.child_by_field_name("type") is not None:
            return "a typed variable"
    if node.type == "udo_definition" and (
        node.child_by_field_name("parameters") is not None
        or any(c.type == "(" for c in node.children)
    ):
        return "a new-style UDO definition"
    return None


def first_construct(source: bytes, tree: object | None = None) -> Construct | None:
    """The first Csound 7 construct in document order, or None. Reads `tree` when given (the
    editor's own), else parses `source`."""
    if tree is None and len(source) > _PARSE_LIMIT:
        # Bounded work on huge files: the first megabyte (whole lines) decides.
        source = source[:source.rfind(b"\n", 0, _PARSE_LIMIT) + 1]
    text = source.decode("utf-8", errors="replace")
    if _HINT.search(text) is None:
        return None
    from tree_sitter import QueryCursor

    from csound_assist import parsing

    root = (tree if tree is not None else parsing.parse(source)).root_node  # type: ignore[attr-defined]
    # One query in C over the tree (a Python walk costs ~0.1 s on a 5,000-line file).
    captures = QueryCursor(_query()).captures(root)  # type: ignore[arg-type]
    found = [n for nodes in captures.values() for n in nodes]
    if not found:
        return None
    first = min(found, key=lambda n: n.start_byte)
    return _construct(_kind(first) or "Csound 7 syntax", first, source)


@lru_cache(maxsize=1)
def _query() -> object:
    from tree_sitter import Query

    from csound_assist import parsing

    patterns = "\n".join(f"({t}) @c" for t in _CONSTRUCTS)
    return Query(parsing.language(), patterns + """
        (output scope: (_)) @c
        (output type: (_)) @c
        (udo_definition parameters: (_)) @c
        (udo_definition returns: (_)) @c
    """)


def _construct(kind: str, node: Node, source: bytes) -> Construct:
    row, byte_col = node.start_point
    line_start = node.start_byte - byte_col
    first_line = source[line_start:].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    start = len(source[line_start:node.start_byte].decode("utf-8", errors="replace"))
    if node.type == "udo_definition":
        shown = first_line.strip()  # the header line, not the body
    else:
        shown = source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")
        shown = shown.split("\n", 1)[0].strip()
    end = min(len(first_line), start + len(shown)) if node.type != "udo_definition" else len(
        first_line.rstrip())
    return Construct(kind, shown[:60], row, start, max(end, start + 1))


def note(version: str, construct: Construct) -> lsp.Diagnostic:
    """The one diagnostic that replaces the Csound 6 compiler's errors."""
    version = _short(version)
    return diagnostic(
        construct.line, construct.start, construct.end,
        f"This file uses Csound 7 syntax ({construct.what} `{construct.text}`, line "
        f"{construct.line + 1}), but the installed Csound is {version}, which cannot compile it: "
        "install Csound 7 (or set csound.executable to one) to compile and run this file.",
        Code.CSOUND7_SYNTAX,
        severity=lsp.DiagnosticSeverity.Warning,
    )


def check(source: bytes, version: str, tree: object | None = None) -> Iterator[lsp.Diagnostic]:
    """The Csound 7 note when `version` is a Csound before 7 and the file uses Csound 7 syntax."""
    major = installed_major(version)
    if major is None or major >= 7:
        return
    construct = (first_construct(source, tree) if tree is not None
                 else _construct_of(source.decode("utf-8", errors="replace")))
    if construct is not None:
        yield note(version, construct)


@lru_cache(maxsize=8)
def _construct_of(text: str) -> Construct | None:
    # Cached: the note, the opcode table and the unknown-opcode check all ask about one document.
    return first_construct(text.encode("utf-8"))


def uses_csound7(text: str) -> bool:
    """Whether `text` has Csound 7 syntax."""
    return _construct_of(text) is not None


def new_opcodes(text: str, installed: Container[str]) -> frozenset[str]:
    """The Csound 7 opcode names a file may use beyond the installed ones: Csound 7's additions
    and new names, when the file is in Csound 7 syntax and the installed Csound lacks them."""
    if not uses_csound7(text):
        return frozenset()
    names = {n for n in csound7_names.NEW_OPCODES if n not in installed}
    names |= {w for w in set(re.findall(r"[a-z]\w*", text))
              if csound7_names.alias_of(w, installed)}
    return frozenset(names)


_DECLARED_NAME = re.compile(r"(?<![\w$#.])([A-Za-z_]\w*)(?:@global)?:[A-Za-z]\w*(?:\[\])*(?![\w(])")


def declared_names(text: str) -> frozenset[str]:
    """Names a Csound 7 file declares with a type (`freq:i`, `amp@global:k`, UDO parameters)."""
    if not uses_csound7(text):
        return frozenset()
    from csound_assist.diagnostics.source import blank_code

    return frozenset(_DECLARED_NAME.findall(blank_code(text)))  # not in comments or strings


def renamed_opcode(text: str, installed: Container[str], version: str, line: int, start: int,
                   name: str) -> tuple[bool, lsp.Diagnostic | None]:
    """Csound 7's new name of an installed opcode (`zdfladder` where Csound 6 has `zdf_ladder`):
    (True, its diagnostic), or (True, None) in a Csound 7 file, where the note says it all;
    (False, None) when `name` is no such name (the unknown-opcode check goes on)."""
    old = csound7_names.alias_of(name, installed)
    new = name in csound7_names.NEW_OPCODES and name not in installed
    if old is None and not new:
        return False, None
    if uses_csound7(text):
        return True, None
    shown = _short(version)
    if old is None:
        return True, diagnostic(
            line, start, start + len(name),
            f"'{name}' is new in Csound 7; the installed Csound {shown} does not have it: "
            "install Csound 7 to use it",
            Code.UNKNOWN_OPCODE,
        )
    return True, diagnostic(
        line, start, start + len(name),
        f"'{name}' is Csound 7's name for '{old}'; the installed Csound {shown} knows only "
        f"'{old}': write '{old}' (Csound 7 accepts it too)",
        Code.UNKNOWN_OPCODE,
        fixes=[Fix(f"Replace with '{old}'", (Edit((line, start), (line, start + len(name)), old),),
                   preferred=True)],
    )


def unlisted(text: str, version: str, diag: lsp.Diagnostic) -> lsp.Diagnostic:
    """An unknown opcode in a Csound 7 file checked against a Csound 6: it may be one of Csound
    7's own, which the installed Csound cannot list, so it is a warning that says so."""
    major = installed_major(version)
    if major is None or major >= 7 or not uses_csound7(text):
        return diag
    diag.severity = lsp.DiagnosticSeverity.Warning
    if isinstance(diag.data, dict):  # no "did you mean" is sure enough for Fix all here
        for fix in diag.data.get("fixes", []):
            fix["preferred"] = False
    diag.message += (f" (or an opcode of Csound 7, which this file is written for: the installed "
                     f"Csound {_short(version)} cannot tell)")
    return diag


def _short(version: str) -> str:
    m = re.match(r"\s*(\d+(?:\.\d+)*)", version)
    return m.group(1) if m else version.strip()


def collapse(compiled: list[lsp.Diagnostic], static: list[lsp.Diagnostic]) -> list[lsp.Diagnostic]:
    """With the Csound 7 note among `static`, the compiler's errors are dropped (a failed check,
    such as csound missing or timing out, stays) and the note quotes the first of them."""
    notes = [d for d in static if d.code == str(Code.CSOUND7_SYNTAX)]
    if not notes:
        return compiled
    kept, hidden = [], []
    for d in compiled:
        if d.source == SOURCE_COMPILER and d.code != str(Code.CHECK_FAILED):
            hidden.append(d)
        else:
            kept.append(d)
    if hidden:
        first = hidden[0]
        errors = "1 error" if len(hidden) == 1 else f"{len(hidden)} errors"
        text = first.message.splitlines()[0] if first.message else ""
        notes[0].message += (f"\n(csound reports {errors} here, not listed; the first, at line "
                             f"{first.range.start.line + 1}: {text})")
    return kept
