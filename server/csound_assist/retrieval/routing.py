"""Opcode routing: a third retriever that goes from a question to the opcodes it describes.

BM25 over the manual's one-line summaries (the same text enrichment uses) picks the opcodes a query
talks about; each opcode then names the chunks that feature it, best first: a chunk where the
opcode carries most of the chunk's rarity (IDF) is a demonstration of it, a chunk that merely
calls it among twenty others is not. Full-text BM25 and dense search see the summary diluted by
the whole chunk; this ranking sees it undiluted, and fusion combines the three.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from csound_assist.retrieval.enrich import SummaryLookup
from csound_assist.retrieval.keyword import KeywordIndex
from csound_assist.retrieval.types import Chunk

# Statements and opcodes that nearly every instrument uses; they say nothing about a chunk.
UBIQUITOUS = frozenset(
    {"instr", "endin", "opcode", "endop", "=", "init", "out", "outs", "outch", "xin", "xout"}
)
# How many matching opcodes a query follows, and how many chunks each contributes.
OPCODES_PER_QUERY = 3
CHUNKS_PER_OPCODE = 10


class OpcodeRouter:
    """Built once per index generation from its chunks; `search` returns chunk positions."""

    def __init__(self, chunks: Sequence[Chunk], summaries: SummaryLookup) -> None:
        frequency = Counter(o for c in chunks for o in set(c.opcodes) if o not in UBIQUITOUS)
        self.opcodes = sorted(o for o in frequency if summaries(o))
        idf = {o: math.log(len(chunks) / n) for o, n in frequency.items()}
        # The opcode's own name is indexed too: a question may name it.
        self._keyword = KeywordIndex.build([f"{o} {summaries(o) or ''}" for o in self.opcodes])
        featured: dict[str, list[tuple[float, int]]] = {o: [] for o in self.opcodes}
        for pos, chunk in enumerate(chunks):
            rare = {o for o in chunk.opcodes if o in idf}
            mass = sum(idf[o] for o in rare)
            for o in rare:
                if o in featured:
                    featured[o].append((idf[o] / mass if mass > 0 else 0.0, pos))
        self._featured = {
            o: [pos for _, pos in sorted(entries, key=lambda e: (-e[0], e[1]))[:CHUNKS_PER_OPCODE]]
            for o, entries in featured.items()
        }

    def search(self, query: str, limit: int) -> list[int]:
        """Positions of the chunks featuring the opcodes `query` describes, best first."""
        out: dict[int, None] = {}
        for i, _score in self._keyword.search(query, OPCODES_PER_QUERY):
            for pos in self._featured[self.opcodes[i]]:
                out.setdefault(pos, None)
        return list(out)[:limit]
