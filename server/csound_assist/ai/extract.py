"""Getting code out of a model's markdown answer."""

from __future__ import annotations

import re

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_CSD = re.compile(r"<CsoundSynthesizer>.*?</CsoundSynthesizer>", re.S | re.I)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block; an unterminated last block counts."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def extract_code(text: str) -> str:
    """The Csound code of an answer: the first csound/csd/orc block, else the first block, else
    the whole answer when it has no fences (models sometimes answer with bare code)."""
    blocks = code_blocks(text)
    for lang, code in blocks:
        if lang in ("csound", "csd", "orc", "sco", "csound-csd", "csound-orc"):
            return code.strip("\n")
    if blocks:
        return blocks[0][1].strip("\n")
    return text.strip("\n")


def extract_csd(text: str) -> str | None:
    """A complete <CsoundSynthesizer> document from an answer, or None."""
    m = _CSD.search(text)
    return m.group(0) if m else None
