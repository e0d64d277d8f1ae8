"""The opcode cheat sheet in the system prompt, generated from the knowledge base.

"Most used" is measured, not chosen: opcodes are ranked by how many of the manual's example
files use them. Signatures come from the knowledge base (`Signature.render`), i.e. from the
installed Csound. The result is cached on disk per knowledge-base content.

    python -m csound_assist.prompts.cheatsheet [N]    # print it
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.lexicon import BLOCK_KEYWORDS, HEADER_NAMES
from csound_assist.paths import cache_dir

DEFAULT_SIZE = 80
FORMAT = 2  # bump when the rendering changes, so cached sheets are rebuilt
_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_COMMENT = re.compile(r";[^\n]*|//[^\n]*|/\*.*?\*/", re.S)
# Words the manual lists as opcodes but that say nothing as a cheat-sheet line.
_SKIP = BLOCK_KEYWORDS | set(HEADER_NAMES)


def orchestra_words(text: str) -> set[str]:
    """Identifier-like words of the orchestra part (comments dropped)."""
    lower = text.lower()
    start, end = lower.find("<csinstruments>"), lower.find("</csinstruments>")
    if start >= 0 and end > start:
        text = text[start:end]
    return set(_WORD.findall(_COMMENT.sub(" ", text)))


def rank_opcodes(known: Iterable[str], documents: Iterable[str]) -> list[tuple[str, int]]:
    """(name, number of documents using it), most used first; ties broken by name."""
    # One-letter names (the i()/a()/k() converters) match too much loose text to rank.
    names = {n for n in known if len(n) > 1} - _SKIP
    counts: Counter[str] = Counter()
    for text in documents:
        counts.update(orchestra_words(text) & names)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _example_texts(kb: Any) -> list[str]:
    paths = {op.example for op in kb.opcodes.values() if getattr(op, "example", None)}
    texts = []
    for path in sorted(paths):
        try:
            texts.append(Path(path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts


def _line(op: Any) -> str:
    signatures = list(getattr(op, "signatures", None) or [])
    rendered = list(dict.fromkeys(s.render(op.name) for s in signatures[:2]))
    if len(" | ".join(rendered)) > 110:
        rendered = rendered[:1]
    if not rendered:
        rendered = [line.strip() for line in (op.syntax or [])[:1]] or [op.name]
    summary = (op.summary or "").strip().rstrip(".")
    text = " | ".join(rendered)
    return f"- `{text}` — {summary}" if summary else f"- `{text}`"


def render_cheatsheet(kb: Any, ranked: list[tuple[str, int]], size: int = DEFAULT_SIZE) -> str:
    lines = []
    for name, _count in ranked:
        op = kb.get(name)
        if op is None or getattr(op, "deprecated", None):
            continue
        lines.append(_line(op))
        if len(lines) >= size:
            break
    return "\n".join(lines)


def _fingerprint(kb: Any, size: int) -> str:
    digest = hashlib.sha256(f"{FORMAT}:{size}".encode())
    for name in sorted(kb.opcodes):
        op = kb.opcodes[name]
        digest.update(name.encode())
        digest.update(str(getattr(op, "example", "")).encode())
        for sig in getattr(op, "signatures", None) or []:
            digest.update(f"{sig.outputs}:{sig.inputs}".encode())
    return digest.hexdigest()[:16]


def build_cheatsheet(kb: Any, size: int = DEFAULT_SIZE) -> str:
    """The cheat sheet for `kb`, from the disk cache when the knowledge base is unchanged."""
    cache = cache_dir() / f"cheatsheet-{_fingerprint(kb, size)}.md"
    try:
        return cache.read_text(encoding="utf-8")
    except OSError:
        pass
    text = render_cheatsheet(kb, rank_opcodes(kb.opcodes, _example_texts(kb)), size)
    try:
        cache.write_text(text, encoding="utf-8")
    except OSError as exc:
        logger.debug("cheat sheet not cached: {}", exc)
    return text


@lru_cache(maxsize=1)
def default_cheatsheet(size: int = DEFAULT_SIZE) -> str:
    """The cheat sheet of the installed knowledge base, or "" when it cannot be loaded."""
    try:
        from csound_assist.knowledge import load_knowledge_base

        return build_cheatsheet(load_knowledge_base(), size)
    except Exception as exc:  # noqa: BLE001 — prompts still work without the cheat sheet
        logger.warning("opcode cheat sheet unavailable: {}", exc)
        return ""


if __name__ == "__main__":
    print(default_cheatsheet(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE))
