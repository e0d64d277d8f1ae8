"""The lexical reading of Csound that every reader shares where it reads lines, not the tree.

Two decisions live here so that no two features make them differently (issue 16):

- Which lines are CSD section tags. Csound's CSD reader takes a tag only at the start of a line
  (after blanks): `; the notes go in <CsScore> below` in the orchestra is a comment, and
  `prints "<CsScore>"` a string — neither switches anything.
- Whether a line's first word is its opcode or its first output, when the line is read without a
  tree (`outz a1, a1` is opcode `outz`; `kon trigger gk, 0, 0` is output `kon`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

# A section tag at the start of a line; group 1 "/" for a closing tag, group 2 the name.
_TAG_AT_START = re.compile(r"[ \t]*<(/?)(Cs[A-Za-z]+)\b[^>]*>")
SECTIONS = {"csinstruments": "orc", "csscore": "sco", "csoptions": "options"}
# A name that looks like a variable (rate prefix) rather than an opcode.
_VARIABLE = re.compile(r"g?[akiSfw][A-Za-z0-9_]\w*")


def section_tag(line: str) -> tuple[bool, str] | None:
    """(closing, tag name) when `line` starts with a CSD tag, else None. `<CsScore bin="…">`
    reads as a `CsScoreBin` tag: its lines are an external program's input, no Csound score."""
    m = _TAG_AT_START.match(line)
    if m is None:
        return None
    if m.group(2) == "CsScore" and "=" in m.group(0):
        return m.group(1) == "/", "CsScoreBin"
    return m.group(1) == "/", m.group(2)


def tag_match(line: str) -> re.Match[str] | None:
    """The tag that starts `line` (for callers that read its attributes), else None."""
    return _TAG_AT_START.match(line)


def opcode_first(
    word: str,
    second: str,
    after_second: str,
    called: bool,
    is_opcode: Callable[[str], bool],
    keywords: Container[str] = (),
) -> bool:
    """Whether `word second …` is opcode `word` with `second` its first argument (else `word`
    is an output and `second` the opcode). `after_second` is the character after `second` (blanks
    skipped), `called` whether `second` is directly followed by `(`.

    The opcode table decides when it knows exactly one of the two words; otherwise the line's
    shape does: an argument list goes on (`outz a1, a1`, `out a1 + a2`), a keyword is never an
    opcode's output, and a lone variable-looking word after a non-variable is an argument.
    """
    if called:
        return True  # `op fn(x)`: the second word is a function call
    first_known, second_known = is_opcode(word), is_opcode(second)
    if second_known and not first_known and second not in keywords:
        return False
    if first_known and not second_known:
        return True
    return (
        after_second in tuple(",+-*/^%<>!?")
        or second in keywords
        or (after_second == "" and _VARIABLE.fullmatch(second) is not None
            and not _VARIABLE.fullmatch(word))
    )
