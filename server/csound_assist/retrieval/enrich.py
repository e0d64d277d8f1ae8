"""Enrichment: a natural-language header in front of each chunk before it is indexed.

The header names the file and the kind of chunk, gives the manual's one-line summary of each opcode
the chunk uses, and repeats the chunk's own comments. An English question ("resonant lowpass
filter") then meets the code that answers it (`moogladder`) in both the dense and the keyword index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from loguru import logger

from csound_assist.retrieval.types import Chunk

# At most this many opcode summaries per chunk: the header has to fit the embedder's window.
MAX_OPCODES = 12
MAX_COMMENT_CHARS = 400

KIND_LABELS = {
    "file": "whole Csound file",
    "header": "orchestra header (global settings, tables, global code)",
    "instr": "instrument",
    "udo": "user-defined opcode",
    "score": "score",
    "ftables": "score function tables",
    "notes": "score notes",
    "other": "code",
}

SummaryLookup = Callable[[str], str | None]


def knowledge_summaries() -> SummaryLookup:
    """Opcode → one-line manual summary ("" for an opcode without one, None for a non-opcode),
    from the knowledge base; no opcodes at all if it is missing."""
    try:
        from csound_assist.knowledge import load_knowledge_base

        kb = load_knowledge_base()
    except Exception as exc:  # noqa: BLE001 - enrichment is an improvement, never a requirement
        logger.warning("knowledge base unavailable, chunks get no opcode summaries: {}", exc)
        return lambda name: None

    def lookup(name: str) -> str | None:
        opcode = kb.opcodes.get(name)
        return None if opcode is None else (opcode.summary or "")

    return lookup


class Enricher:
    """Builds chunk headers; the summary lookup (the knowledge base) loads on first use."""

    def __init__(self, summaries: SummaryLookup | None = None) -> None:
        self._summaries = summaries
        self._lock = threading.Lock()

    @property
    def summaries(self) -> SummaryLookup:
        with self._lock:
            if self._summaries is None:
                self._summaries = knowledge_summaries()
            return self._summaries

    def is_opcode(self, name: str) -> bool:
        return self.summaries(name) is not None

    def header(self, chunk: Chunk) -> str:
        label = KIND_LABELS.get(chunk.kind, chunk.kind)
        title = f"{label} {chunk.name}".strip() if chunk.kind in ("instr", "udo") else label
        lines = [f"{Path(chunk.path).name}: {title}"]
        described = []
        for name in chunk.opcodes[:MAX_OPCODES]:
            summary = self.summaries(name)
            if summary:
                described.append(f"{name}: {summary.strip().rstrip('.')}.")
        if described:
            lines.append("Uses " + " ".join(described))
        if chunk.comments:
            lines.append("Comments: " + chunk.comments[:MAX_COMMENT_CHARS])
        return "\n".join(lines)

    def enrich(self, chunk: Chunk) -> Chunk:
        return replace(chunk, header=self.header(chunk))
