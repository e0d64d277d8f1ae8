"""Globals a partly copied example needs, brought over from the example itself.

A small model adapting a retrieved example copies the instrument and leaves out the global code
it relies on: `giwave` is read but its `ftgen` line stayed in the example, `gaReverb` is summed
into but never initialised. The definitions are in the sources the model was shown (or in the
files they came from), so they are copied deterministically instead of asking the model again —
which, in the issue's runs, invented `var giwave` and `global gaReverbSend`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from csound_assist.features.analysis import Outline, blank_code, outline_of_text
from csound_assist.prompts.templates import Source

MAX_SOURCE_BYTES = 512 * 1024
_GLOBAL_NAME = re.compile(r"(?<![\w$#.])(g[ikaSfw][A-Za-z0-9_]*)\b")


@dataclass(frozen=True, slots=True)
class Borrowed:
    text: str
    lines: list[str]  # the definitions copied, in order
    missing: list[str]  # globals used, defined nowhere in the sources


def _orchestra(text: str) -> tuple[list[str], list[str], Outline]:
    """Lines of `text`, the same lines blanked, and its outline (the orchestra is its `orc`
    region; a fragment without section tags is all orchestra)."""
    outline = outline_of_text(text)
    return text.split("\n"), list(outline.code), outline


def _global_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, original line, blanked line) of the orchestra's global code: its lines
    outside every instr/opcode block, as the shared outline reads them."""
    lines, code, outline = _orchestra(text)
    return [(i, lines[i], code[i]) for i in range(min(len(lines), len(code)))
            if outline.region(i) == "orc" and outline.block_at(i) is None and code[i].strip()]


def _defines(blank: str) -> set[str]:
    """Globals a global statement writes: its outputs, before the opcode or `=`."""
    m = re.match(r"^\s*((?:g\w+\s*,\s*)*g\w+)\s*(?:=|\s\w)", blank)
    if m is None:
        return set()
    return {n.strip() for n in m.group(1).split(",")}


def used_globals(text: str) -> set[str]:
    _lines, code, outline = _orchestra(text)
    return set(_GLOBAL_NAME.findall("\n".join(
        line for i, line in enumerate(code) if outline.region(i) == "orc")))


def defined_globals(text: str) -> set[str]:
    return {n for _i, _ln, blank in _global_lines(text) for n in _defines(blank)}


def _source_texts(sources: Sequence[Source]) -> list[str]:
    """Each source's excerpt, then the whole file it came from where that can be read."""
    texts = [s.text for s in sources]
    for s in sources:
        path = Path(s.origin.split("#", 1)[0]) if s.origin else None
        if path is None or not path.is_file():
            continue
        try:
            if path.stat().st_size <= MAX_SOURCE_BYTES:
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts


def borrow_globals(csd: str, sources: Sequence[Source], names: set[str] | None = None) -> Borrowed:
    """`csd` with the global definitions of `names` (default: every global it uses and does not
    define) copied from the sources, before its first instrument; with what was copied."""
    wanted = (used_globals(csd) - defined_globals(csd)) if names is None else set(names)
    wanted -= defined_globals(csd)
    if not wanted:
        return Borrowed(csd, [], [])
    definitions: dict[str, str] = {}
    texts = _source_texts(sources)
    pending, seen = set(wanted), set()
    for _ in range(4):  # a borrowed line may use other globals (giSize, giwave ftgen 0,0,giSize…)
        for name in sorted(pending - seen):
            seen.add(name)
            for text in texts:
                line = next((ln for _i, ln, b in _global_lines(text) if name in _defines(b)), None)
                if line is not None:
                    definitions.setdefault(name, line.strip())
                    break
        pending = (
            {n for line in definitions.values() for n in _GLOBAL_NAME.findall(blank_code(line))}
            - defined_globals(csd)
            - set(definitions)
        )
        if not pending - seen:
            break
    missing = sorted(wanted - set(definitions))
    if not definitions:
        return Borrowed(csd, [], missing)
    # Dependencies first: a definition that another one reads goes above it.
    ordered: list[str] = []
    for _name, line in sorted(definitions.items(), key=lambda kv: _depth(kv[0], definitions)):
        if line not in ordered:
            ordered.append(line)
    return Borrowed(_insert_before_first_block(csd, ordered), ordered, missing)


def _depth(name: str, definitions: dict[str, str], seen: frozenset[str] = frozenset()) -> int:
    uses = set(_GLOBAL_NAME.findall(blank_code(definitions[name]))) - {name} - seen
    deps = [d for d in uses if d in definitions]
    return 1 + max((_depth(d, definitions, seen | {name}) for d in deps), default=0)


def _insert_before_first_block(csd: str, lines_in: list[str]) -> str:
    """`lines_in` before the orchestra's first block, else at the orchestra's end."""
    lines, _code, outline = _orchestra(csd)
    firsts = [b.start_line for b in outline.blocks if outline.region(b.start_line) == "orc"]
    orc = next((s for s in outline.sections if s.name.lower() == "csinstruments"), None)
    end = orc.end_line if orc is not None else len(lines)
    at = min(firsts) if firsts else end
    return "\n".join([*lines[:at], *lines_in, *lines[at:]])
