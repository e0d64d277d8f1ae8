"""Retrieval: structure-aware chunks of Csound examples, dense + BM25 hybrid search.

API (the LSP server and the CLI use only this)::

    from csound_assist.retrieval import Index, SearchResult

    index = Index.open(config)            # cheap: loads the published index, embeds nothing
    report = index.update(paths, progress_cb)   # blocking; run it off the event loop
    results: list[SearchResult] = index.search("resonant lowpass filter", k=5)
    index.close()

- `Index.open(config, root=None, embedder=None)`: the index under `<cache dir>/retrieval/index`
  (or `root`), configured from `config.rag` (embedder, fusion weights, `min_similarity`,
  `num_results`, `qdrant_url`). `index.sources` are the configured folders: the manual's
  examples (`rag.include_manual`) and `rag.examples_dirs`.
- `index.update(paths=None, progress=None, *, full=False) -> UpdateReport`: make the files under
  `paths` (folders or single files; default `index.sources`) current. Unchanged files are never
  re-embedded, changed files are re-chunked and re-embedded, files under `paths` that are gone are
  removed, files outside `paths` are kept. A build is published atomically; concurrent builders
  (another window) wait on a lock. `progress(stage, done, total)` is called from the calling
  thread with stage "scanning", "chunking", "embedding" or "writing" — map it to `$/progress`.
  Raises `EmbedderError` / `IndexBuildError` / `StoreError` with a user-facing message; the
  published index is then unchanged.
- `index.search(query, k=None, *, mode="hybrid", within=None) -> list[SearchResult]`: `within` keeps
  only chunks of files under those folders/files (an editor's scope). Thread-safe, never raises for
  bad input; falls back to keyword-only search when the embedder is unavailable or the index was
  built by another embedder. Picks up generations published by other processes. Hybrid fuses BM25,
  dense and opcode routing (`routing.OpcodeRouter`) by RRF; "dense", "keyword" and "opcode" run one
  retriever alone. Dense hits below `min_similarity` are dropped, where the embedder may cap that
  floor to its own cosine scale (`MiniLMEmbedder.similarity_cap` = 0.3).
- `index.stats() -> IndexStats`: generation, embedder, file and chunk counts.
- `SearchResult`: `score` (fused), `similarity` (cosine, if dense found it), `keyword_score`,
  `sources`, `chunk` (`Chunk`: `id`, `path`, `kind`, `name`, `start_line`, `end_line`, `opcodes`,
  `text`, `header`); `to_dict()` gives the JSON the CLI prints and `csound/search` returns.
- `watch.watch(index, roots, stop_event)`: follow folders with watchdog (the CLI's `--watch`).
- `keeper.IndexKeeper`: the index inside the language server (lazy open, one update at a time off
  the event loop, throttled progress, coalesced re-indexing of saved files, a status object, and a
  `scope` that searches stay within; `view()` is the scoped index the AI features search).

Two processes can use one index: published generations are immutable, and a process that finds a
generation's Qdrant folder locked by another reads a private copy of it.
"""

from csound_assist.retrieval.embedders import (
    Embedder,
    EmbedderError,
    HashingEmbedder,
    MiniLMEmbedder,
    OllamaEmbedder,
    make_embedder,
)
from csound_assist.retrieval.index import Index, IndexBuildError, IndexStats, UpdateReport
from csound_assist.retrieval.store import StoreError
from csound_assist.retrieval.types import Chunk, SearchResult

__all__ = [
    "Chunk",
    "Embedder",
    "EmbedderError",
    "HashingEmbedder",
    "Index",
    "IndexBuildError",
    "IndexStats",
    "MiniLMEmbedder",
    "OllamaEmbedder",
    "SearchResult",
    "StoreError",
    "UpdateReport",
    "make_embedder",
]
