"""Csound-aware stops and filters for inline suggestions. Pure functions.

A suggestion ends where Csound code naturally ends: the line, for a completion started mid-line
or in the score; otherwise the block it belongs to (`endin`, `endop`, `od`, a balanced `endif`).
Suggestions that only repeat the text after the cursor, or that call an opcode Csound does not
have, are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Container

from csound_assist.ai.context import CursorContext
from csound_assist.features.analysis import blank_code, outline_of_text, parse_statement
from csound_assist.lexicon import HEADER_NAMES, KEYWORDS

MAX_LINES = 16
# Stop strings sent to the model: past these the suggestion can never be used.
MODEL_STOPS = ("</CsInstruments>", "</CsScore>", "</CsoundSynthesizer>", "<CsScore>", "\n\n\n")

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\{\{.*?\}\}', re.S)
_COMMENT = re.compile(r";.*|//.*")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*(?::[a-zA-Z]+(?:\[\])*)?\s*\(")
# Words in opcode position that are not opcodes to check: keywords, header variables, the newer
# syntax (switch, struct, for) and the UDO plumbing.
_KEYWORDS = KEYWORDS | set(HEADER_NAMES) | {
    "fi", "switch", "case", "default", "endsw", "struct", "for", "xin", "xout", "setksmps",
}
_OPENERS = {
    "instr": "endin",
    "opcode": "endop",
    "while": "od",
    "until": "od",
    "for": "od",  # Csound 7
    "switch": "endsw",
}


def _code(line: str) -> str:
    return _COMMENT.sub("", _STRING.sub('""', line))


def _block_word(line: str) -> tuple[str, int]:
    """(keyword, +1 opening / -1 closing / 0) for one line."""
    code = _code(line).strip()
    first = _WORD.match(code) if code else None
    word = first.group(0) if first else ""
    if word in ("endin", "endop", "od", "endif", "fi", "endsw"):
        return word, -1
    if word in _OPENERS:
        return word, 1
    if word == "if" and re.search(r"\b(then|ithen|kthen)\s*$", code):
        return word, 1
    return word, 0


def block_end(completion: str, already_open: int = 0) -> int | None:
    """Offset just past the line that closes a block opened before the completion, or past an
    instr/opcode the completion opened and closed itself; None if neither happens.

    Inner blocks the completion opens (`if … endif`, `while … od`) are balanced, not stops.
    """
    stack: list[str] = []
    pos = 0
    for line in completion.splitlines(keepends=True):
        pos += len(line)
        word, delta = _block_word(line)
        if delta > 0:
            stack.append(word)
        elif delta < 0:
            if not stack:
                # Closes what was open at the cursor: keep the line only if something was open.
                return pos if already_open > 0 else pos - len(line)
            opener = stack.pop()
            if not stack and opener in ("instr", "opcode"):
                return pos
    return None


def stop_point(completion: str, ctx: CursorContext, max_lines: int = MAX_LINES) -> int | None:
    """Where to cut `completion` (an offset), or None if it may go on. Used while streaming, so
    generation stops as soon as the suggestion is complete."""
    single_line = ctx.section == "score" or bool(ctx.line_prefix.strip())
    if single_line:
        nl = completion.find("\n")
        return nl if nl >= 0 else None
    cut = block_end(completion, already_open=1 if ctx.block else 0)
    lines = completion.split("\n")
    if len(lines) > max_lines:
        line_cut = sum(len(line) + 1 for line in lines[:max_lines])
        cut = line_cut if cut is None else min(cut, line_cut)
    return cut


def trim_suffix_overlap(completion: str, suffix: str) -> str:
    """Drop the end of `completion` that the text after the cursor already has (e.g. `)` or a
    closing `endin` that is right there)."""
    head = suffix.lstrip(" \t")
    for size in range(min(len(completion), len(head)), 0, -1):
        if completion.endswith(head[:size]) and head[:size].strip():
            return completion[:-size]
    return completion


def repeats_suffix(completion: str, suffix: str) -> bool:
    """True when the suggestion adds nothing the suffix does not already say."""
    text = completion.strip()
    if not text:
        return True
    following = suffix.lstrip()
    if following.startswith(text):
        return True
    first = text.splitlines()[0].strip()
    next_line = next((line.strip() for line in suffix.splitlines() if line.strip()), "")
    return bool(first) and first == next_line


def used_opcodes(code: str, known: Container[str] = ()) -> set[str]:
    """Names used in opcode position: statements `outs opcode args` and calls `name(…)`.

    Each line of a suggestion is read by the outline's line reader (a fragment has no tree): a
    statement whose first word is a known opcode (`outs a1, a2`) has no output list, otherwise
    the word after the output list is the opcode (`a1, a2 pan2 asig, 0.5`, `kon trigger …`).
    """
    names: set[str] = set()
    for raw in code.splitlines():
        line = blank_code(raw)
        if not line.strip():
            continue
        names.update(_CALL.findall(line))
        st = parse_statement(line, 0, known.__contains__)
        if st is not None and st.opcode is not None and st.opcode.text != "=":
            names.add(st.opcode.text)
    return {n for n in names if n not in _KEYWORDS}


def unknown_opcodes(code: str, known: Container[str], defined: Container[str] = ()) -> set[str]:
    """Opcode-position names that are neither Csound opcodes nor UDOs defined in the file."""
    return {name for name in used_opcodes(code, known) if name not in known and name not in defined}


def defined_udos(text: str) -> set[str]:
    """The UDOs `text` defines, as the outline reads them (not in comments, not outside the
    orchestra)."""
    return set(outline_of_text(text).udos())


def finalize(
    completion: str,
    ctx: CursorContext,
    known_opcodes: Container[str] | None = None,
) -> str:
    """The suggestion to show, or "" when it should be dropped."""
    cut = stop_point(completion, ctx)
    if cut is not None:
        completion = completion[:cut]
    completion = completion.rstrip(" \t")
    if not ctx.line_prefix.strip() and completion.endswith("\n"):
        completion = completion.rstrip("\n")
    completion = trim_suffix_overlap(completion, ctx.line_suffix)
    if repeats_suffix(completion, ctx.suffix):
        return ""
    if known_opcodes is not None and ctx.section == "orchestra":
        code = ctx.line_prefix + completion
        if unknown_opcodes(code, known_opcodes, defined_udos(ctx.prefix + ctx.suffix)):
            return ""
    return completion
