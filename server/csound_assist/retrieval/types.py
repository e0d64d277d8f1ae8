"""The value types of retrieval: an indexed `Chunk` and the one `SearchResult` callers get."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Chunk kinds, in the order a file is cut.
KINDS = ("file", "header", "instr", "udo", "score", "ftables", "notes", "other")


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of Csound source.

    `id` is stable across runs (`<path>#instr:Name`, `<path>#udo:Name`, `<path>#header`, …) so an
    unchanged file always yields the same ids. `text` is the source itself; `header` is the
    natural-language enrichment (file, kind, opcode summaries, `comments`) indexed with it.
    Lines are 1-based and inclusive.
    """

    id: str
    path: str
    kind: str
    text: str
    start_line: int
    end_line: int
    name: str = ""
    opcodes: tuple[str, ...] = ()
    comments: str = ""
    header: str = ""

    @property
    def indexed_text(self) -> str:
        """What the embedders and BM25 see: the header first (it survives truncation), then code."""
        return f"{self.header}\n{self.text}" if self.header else self.text

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["opcodes"] = list(self.opcodes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**{**data, "opcodes": tuple(data.get("opcodes", ()))})


@dataclass
class SearchResult:
    """One hit, as the CLI prints it and the LSP `csound/search` request returns it.

    `score` is the fused reciprocal-rank score (higher is better); `similarity` is the dense
    cosine similarity when the dense search found the chunk, `keyword_score` the BM25 score when
    the keyword search did; `sources` names the retrievers that found it ("dense", "keyword",
    "opcode").
    """

    score: float
    chunk: Chunk
    similarity: float | None = None
    keyword_score: float | None = None
    sources: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.chunk.path

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "score": round(self.score, 6),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "keyword_score": None if self.keyword_score is None else round(self.keyword_score, 4),
            "sources": self.sources,
            "id": c.id,
            "file": c.path,
            "kind": c.kind,
            "name": c.name,
            "start_line": c.start_line,
            "end_line": c.end_line,
            "opcodes": list(c.opcodes),
            "text": c.text,
        }
