"""A code-aware tokenizer shared by BM25 and the hashing embedder.

Csound words are kept: no English stopword list (`in`, `if`, `then`, `do` are Csound syntax and
`out`, `init`, `loop` are opcodes). Identifiers stay whole (`moogladder`, `gkCutoff`, `0dbfs`,
`GEN10`), and compound identifiers also contribute their parts (`gkCutoff` → `gkcutoff`, `cutoff`;
`mp3_in` → `mp3_in`, `mp3`, `in`) so an English query can meet a variable name. Pure numbers are
dropped: score p-fields would otherwise dominate every statistic.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9_]+")
# Splits `gkCutoffFreq` → gk, Cutoff, Freq and `ATSadd` → ATS, add.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+")
_HAS_LETTER = re.compile(r"[A-Za-z]")


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens of `text`: every identifier whole, then its camelCase/snake_case parts."""
    tokens: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if not _HAS_LETTER.search(word):
            continue
        whole = word.lower()
        tokens.append(whole)
        parts = [p.lower() for piece in word.split("_") for p in _CAMEL.findall(piece)]
        if len(parts) > 1:
            tokens.extend(p for p in parts if p != whole and len(p) > 1 and _HAS_LETTER.search(p))
    return tokens
