"""Keyword search: BM25 over the code-aware tokens, with two interchangeable backends.

`bm25s` (the default) scores with sparse matrices precomputed at build time; `rank-bm25` scores
in Python at query time. `bench/retrieval.py` measures both on the manual; the numbers are in
BENCHMARKS.md.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from csound_assist.retrieval.tokenize import tokenize

BACKENDS = ("bm25s", "rank-bm25")


class KeywordIndex:
    """BM25 over a fixed list of documents; `search` returns (document index, score) pairs."""

    def __init__(self, backend: str = "bm25s") -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown BM25 backend {backend!r}; expected one of {BACKENDS}")
        self.backend = backend
        self._model = None
        self.size = 0

    @classmethod
    def build(cls, texts: Sequence[str], backend: str = "bm25s") -> KeywordIndex:
        return cls.build_from_tokens([tokenize(t) for t in texts], backend)

    @classmethod
    def build_from_tokens(cls, corpus: Sequence[list[str]], backend: str = "bm25s") -> KeywordIndex:
        index = cls(backend)
        index.size = len(corpus)
        if not corpus:
            return index
        # An empty document would break both backends' length statistics; give it a filler.
        docs = [tokens or [""] for tokens in corpus]
        if backend == "bm25s":
            import bm25s

            model = bm25s.BM25(k1=1.2, b=0.75)
            model.index(docs, show_progress=False)
        else:
            from rank_bm25 import BM25Okapi

            model = BM25Okapi(docs, k1=1.2, b=0.75)
        index._model = model
        return index

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (zeros when nothing matches)."""
        if self._model is None:
            return np.zeros(self.size, dtype=np.float32)
        tokens = tokenize(query)
        if self.backend == "bm25s":
            ids = self._model.get_tokens_ids(tokens)
            if not ids:
                return np.zeros(self.size, dtype=np.float32)
            return np.asarray(self._model.get_scores(ids), dtype=np.float32)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(tokens), dtype=np.float32)

    def search(self, query: str, limit: int) -> list[tuple[int, float]]:
        """Top `limit` documents with a positive score, best first."""
        scores = self.scores(query)
        if not len(scores) or limit <= 0:
            return []
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    # -- persistence -------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "backend").write_text(f"{self.backend}\n{self.size}\n", encoding="utf-8")
        if self._model is None:
            return
        if self.backend == "bm25s":
            self._model.save(str(directory), show_progress=False)
        else:
            with (directory / "rank_bm25.pickle").open("wb") as fh:
                pickle.dump(self._model, fh)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        backend, size = (directory / "backend").read_text(encoding="utf-8").split()
        index = cls(backend)
        index.size = int(size)
        if index.size == 0:
            return index
        if backend == "bm25s":
            import bm25s

            index._model = bm25s.BM25.load(str(directory), show_progress=False)
        else:
            with (directory / "rank_bm25.pickle").open("rb") as fh:
                index._model = pickle.load(fh)  # noqa: S301 - our own cache file
        return index
