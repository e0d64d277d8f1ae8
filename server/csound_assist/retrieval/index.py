"""The retrieval index: generations on disk, incremental updates, hybrid search.

Layout under the index root (by default `<cache dir>/retrieval/index`)::

    CURRENT                 name of the published generation (replaced atomically)
    write.lock              held by the one process building a generation
    gen-<time>-<id>/        a published generation; never modified again
        meta.json           embedder name and dimension, pipeline version, counts
        manifest.json       file → SHA-256 and chunk ids
        chunks.jsonl        every chunk with its enrichment header
        bm25/               the keyword index
        qdrant/             Qdrant local-mode storage (absent with a Qdrant server)
    .build-<id>/            a generation being built; a killed build leaves only this behind

An update copies what it can from the published generation (unchanged files keep their chunks and
vectors), embeds what changed, writes everything into a build folder, renames it to a generation
and swaps `CURRENT`. Readers notice the new `CURRENT` and switch; killing a build at any moment
leaves the previous generation published and usable.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from loguru import logger

from csound_assist.files import read_text as read_user_text
from csound_assist.retrieval.chunking import PIPELINE_VERSION, chunk_file
from csound_assist.retrieval.corpus import iter_sources, normalise, under
from csound_assist.retrieval.embedders import Embedder, EmbedderError, make_embedder
from csound_assist.retrieval.enrich import Enricher
from csound_assist.retrieval.fusion import reciprocal_rank_fusion
from csound_assist.retrieval.keyword import KeywordIndex
from csound_assist.retrieval.manifest import Changes, FileEntry, Manifest, sha256_file
from csound_assist.retrieval.routing import OpcodeRouter
from csound_assist.retrieval.store import StoreError, VectorStore
from csound_assist.retrieval.types import Chunk, SearchResult

if TYPE_CHECKING:
    from csound_assist.config import Config

CURRENT = "CURRENT"
WRITE_LOCK = "write.lock"
SERVER_COLLECTION_PREFIX = "csound-assist-"
# Chunks that get a dense vector. Score chunks (p-fields, tables) carry no meaning an embedding
# could capture; BM25 still finds them by instrument name or GEN number.
DENSE_KINDS = frozenset({"file", "header", "instr", "udo", "other"})
SEARCH_MODES = ("hybrid", "dense", "keyword", "opcode")
# How many candidates each retriever hands to fusion.
CANDIDATES = 50
# How often a reader checks whether another process published a new generation.
RELOAD_INTERVAL_S = 1.0

#: progress(stage, done, total): stage is "scanning", "chunking", "embedding" or "writing".
ProgressCallback = Callable[[str, int, int], None]


class IndexBuildError(RuntimeError):
    """An index operation failed; the message says why and what to do."""


@dataclass
class UpdateReport:
    changes: Changes = field(default_factory=Changes)
    rebuilt: bool = False
    embedded: int = 0
    reused: int = 0
    chunks: int = 0
    files: int = 0
    generation: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        head = "rebuilt" if self.rebuilt else "updated" if self.generation else "up to date"
        return (
            f"index {head}: {self.files} files, {self.chunks} chunks "
            f"({self.changes.summary()}; {self.embedded} embedded, {self.reused} reused) "
            f"in {self.seconds:.1f}s"
        )


@dataclass
class IndexStats:
    root: str
    generation: str | None
    embedder: str | None
    dimension: int | None
    files: int
    chunks: int
    built_at: float | None
    stale_embedder: bool


def _noop_progress(stage: str, done: int, total: int) -> None:
    pass


def _prefixes(paths: Sequence[Path | str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(the paths themselves, their folder prefixes) for fast `within` tests on chunk paths."""
    normal = [str(normalise(p)) for p in paths]
    return frozenset(normal), tuple(p.rstrip(os.sep) + os.sep for p in normal)


class _Generation:
    """A published generation loaded for reading. The vector store opens on first use."""

    def __init__(self, directory: Path, qdrant_url: str = "", copy_dir: Path | None = None):
        self.directory = directory
        self.name = directory.name
        self.meta: dict[str, Any] = json.loads((directory / "meta.json").read_text("utf-8"))
        self.manifest = Manifest.load(directory / "manifest.json")
        with (directory / "chunks.jsonl").open(encoding="utf-8") as fh:
            self.chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
        self.positions = {c.id: i for i, c in enumerate(self.chunks)}
        self.keyword = KeywordIndex.load(directory / "bm25")
        self._qdrant_url = qdrant_url
        self._copy_dir = copy_dir
        self._store: VectorStore | None = None
        self._store_lock = threading.Lock()
        self._router: OpcodeRouter | None = None

    def router(self, enricher: Enricher) -> OpcodeRouter:
        """The opcode router over this generation's chunks, built on first use (well under 1 s)."""
        with self._store_lock:
            if self._router is None:
                self._router = OpcodeRouter(self.chunks, enricher.summaries)
            return self._router

    @property
    def store(self) -> VectorStore:
        with self._store_lock:
            if self._store is None:
                if self._qdrant_url:
                    collection = self.meta.get("collection") or SERVER_COLLECTION_PREFIX + self.name
                    self._store = VectorStore.open_server(self._qdrant_url, collection)
                else:
                    self._store = VectorStore.open_local(
                        self.directory / "qdrant", copy_dir=self._copy_dir
                    )
            return self._store

    def close(self) -> None:
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None


class Index:
    """A hybrid (dense + BM25) index of Csound sources. Thread-safe; see the package docstring."""

    def __init__(
        self,
        root: Path,
        embedder: Embedder,
        *,
        qdrant_url: str = "",
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        keyword_weight: float = 1.0,
        opcode_weight: float = 1.0,
        min_similarity: float = 0.0,
        num_results: int = 5,
        bm25_backend: str = "bm25s",
        sources: Sequence[Path] = (),
        enricher: Enricher | None = None,
        max_file_bytes: int = 2_000_000,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.qdrant_url = qdrant_url
        self.rrf_k = rrf_k
        self.weights = {"dense": dense_weight, "keyword": keyword_weight, "opcode": opcode_weight}
        self.min_similarity = min_similarity
        self.num_results = num_results
        self.bm25_backend = bm25_backend
        self.sources = [normalise(s) for s in sources]
        self.enricher = enricher or Enricher()
        self.max_file_bytes = max_file_bytes
        self._lock = threading.RLock()
        self._gen: _Generation | None = None
        self._checked_at = 0.0
        self._load_current()

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        config: Config,
        *,
        root: Path | None = None,
        embedder: Embedder | None = None,
    ) -> Index:
        """The index the configuration describes (sources: the manual's examples, if enabled,
        and `rag.examples_dirs`). Opening is cheap: nothing is embedded until `update`."""
        from csound_assist.paths import cache_dir

        rag = config.rag
        cache = cache_dir() / "retrieval"
        sources: list[Path] = []
        if rag.include_manual:
            sources.append(Path(config.csound.manual_dir) / "examples")
        sources.extend(Path(d).expanduser() for d in rag.examples_dirs)
        return cls(
            root or cache / "index",
            embedder or make_embedder(config, cache_dir=cache),
            qdrant_url=rag.qdrant_url,
            rrf_k=rag.rrf_k,
            dense_weight=rag.dense_weight,
            keyword_weight=rag.keyword_weight,
            opcode_weight=rag.opcode_weight,
            min_similarity=rag.min_similarity,
            num_results=rag.num_results,
            sources=sources,
            max_file_bytes=config.editor.max_file_bytes,
        )

    def close(self) -> None:
        with self._lock:
            if self._gen is not None:
                self._gen.close()
                self._gen = None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------------

    def _current_name(self) -> str | None:
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return name if name and (self.root / name / "meta.json").exists() else None

    def _load_current(self) -> None:
        """Switch to the published generation if it is not the one loaded."""
        name = self._current_name()
        with self._lock:
            self._checked_at = time.monotonic()
            if name is None or (self._gen is not None and self._gen.name == name):
                return
            try:
                gen = _Generation(self.root / name, self.qdrant_url, self.root / "tmp")
            except (OSError, ValueError, KeyError) as exc:
                logger.error("index generation {} unreadable: {}", name, exc)
                return
            old, self._gen = self._gen, gen
            if old is not None:
                old.close()
            logger.debug("index: loaded generation {} ({} chunks)", name, len(gen.chunks))

    def _generation(self) -> _Generation | None:
        if time.monotonic() - self._checked_at > RELOAD_INTERVAL_S:
            self._load_current()
        return self._gen

    @property
    def effective_min_similarity(self) -> float:
        """`min_similarity`, capped by the embedder's `similarity_cap` where it declares one: a
        cosine floor is only meaningful on the scale of the model that produced the cosines."""
        cap = getattr(self.embedder, "similarity_cap", None)
        return self.min_similarity if cap is None else min(self.min_similarity, float(cap))

    @property
    def stale_embedder(self) -> bool:
        """True when the published index was embedded by another embedder (search is keyword-only
        until `update` rebuilds it)."""
        gen = self._generation()
        return gen is not None and not self._embedder_matches(gen.meta)

    def _embedder_matches(self, meta: dict[str, Any]) -> bool:
        if meta.get("embedder") != self.embedder.name:
            return False
        # Only ask for the dimension when the name matches (Ollama answers it with a request).
        try:
            return meta.get("dimension") == self.embedder.dimension
        except EmbedderError:
            return True  # unknown now; the name matched, so trust the recorded dimension

    def stats(self) -> IndexStats:
        gen = self._generation()
        meta = gen.meta if gen else {}
        return IndexStats(
            root=str(self.root),
            generation=gen.name if gen else None,
            embedder=meta.get("embedder"),
            dimension=meta.get("dimension"),
            files=len(gen.manifest.files) if gen else 0,
            chunks=len(gen.chunks) if gen else 0,
            built_at=meta.get("built_at"),
            stale_embedder=bool(gen) and not self._embedder_matches(meta),
        )

    def chunks(self) -> list[Chunk]:
        gen = self._generation()
        return list(gen.chunks) if gen else []

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        mode: str = "hybrid",
        min_similarity: float | None = None,
        collapse: bool = True,
        within: Sequence[Path | str] | None = None,
    ) -> list[SearchResult]:
        """The best `k` chunks for `query` (default `num_results`), best first.

        `within` keeps only chunks of files under those folders (or those files): the index is
        one per user, so an editor limits results to its own sources and workspace.

        `mode` is "hybrid", "dense", "keyword" or "opcode" (routing alone, see `routing`); hybrid
        fuses the other three. Dense hits below `min_similarity` (cosine) are
        dropped before fusion. With `collapse`, a chunk that overlaps a better result from the same
        file (an instrument inside a whole-file chunk) is skipped, so the results are distinct.
        Never raises for a bad query or an unavailable embedder: it logs and returns what it can.
        """
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown search mode {mode!r}; expected one of {SEARCH_MODES}")
        k = self.num_results if k is None else k
        query = query.strip()
        gen = self._generation()
        if gen is None or not query or k <= 0 or not gen.chunks:
            return []
        threshold = self.effective_min_similarity if min_similarity is None else min_similarity
        rankings: dict[str, list[str]] = {}
        similarity: dict[str, float] = {}
        keyword_score: dict[str, float] = {}
        if mode in ("hybrid", "keyword"):
            for pos, score in gen.keyword.search(query, CANDIDATES):
                keyword_score[gen.chunks[pos].id] = score
            rankings["keyword"] = list(keyword_score)
        if mode in ("hybrid", "dense"):
            for cid, score in self._dense(gen, query):
                if score >= threshold and cid in gen.positions:
                    similarity[cid] = score
            rankings["dense"] = list(similarity)
        if mode in ("hybrid", "opcode"):
            rankings["opcode"] = self._routed(gen, query)
        fused = reciprocal_rank_fusion(rankings, k=self.rrf_k, weights=self.weights)
        roots = None if within is None else _prefixes(within)
        results: list[SearchResult] = []
        for cid, score in fused:
            chunk = gen.chunks[gen.positions[cid]]
            if roots is not None and not (
                chunk.path in roots[0] or chunk.path.startswith(roots[1])
            ):
                continue
            if collapse and any(_overlaps(chunk, r.chunk) for r in results):
                continue
            results.append(
                SearchResult(
                    score=score,
                    chunk=chunk,
                    similarity=similarity.get(cid),
                    keyword_score=keyword_score.get(cid),
                    sources=[
                        s for s in ("dense", "keyword", "opcode") if cid in rankings.get(s, ())
                    ],
                )
            )
            if len(results) == k:
                break
        return results

    def _routed(self, gen: _Generation, query: str) -> list[str]:
        try:
            return [gen.chunks[p].id for p in gen.router(self.enricher).search(query, CANDIDATES)]
        except Exception as exc:  # noqa: BLE001 - routing improves ranking, never required
            logger.exception("opcode routing failed ({}); fusing without it", exc)
            return []

    def _dense(self, gen: _Generation, query: str) -> list[tuple[str, float]]:
        if not self._embedder_matches(gen.meta):
            logger.warning(
                "index was embedded with {} but the embedder is {}: keyword search only "
                "until `csound-assist index` rebuilds it",
                gen.meta.get("embedder"),
                self.embedder.name,
            )
            return []
        try:
            vector = self.embedder.embed_query(query)
            return gen.store.search(vector, CANDIDATES)
        except (EmbedderError, StoreError) as exc:
            logger.warning("dense search unavailable ({}); keyword search only", exc)
        except Exception as exc:  # noqa: BLE001 - e.g. a generation deleted under a slow reader
            logger.exception("dense search failed ({}); keyword search only", exc)
        return []

    # -- writing -----------------------------------------------------------------------------

    def update(
        self,
        paths: Iterable[Path | str] | None = None,
        progress: ProgressCallback | None = None,
        *,
        full: bool = False,
        lock_timeout: float = 600.0,
    ) -> UpdateReport:
        """Bring the files under `paths` (folders or files; default: the configured sources) up
        to date and publish a new generation if anything changed.

        Files under `paths` that no longer exist are removed; files outside `paths` are kept.
        `full` discards the published index and indexes `paths` from scratch. A change of
        embedder or pipeline version rebuilds everything automatically. Blocks while another
        process is building (up to `lock_timeout` seconds). Raises `IndexBuildError` or
        `EmbedderError` with a clear message on failure; the published index is then unchanged.
        """
        import portalocker

        progress = progress or _noop_progress
        scope = [normalise(p) for p in (self.sources if paths is None else paths)]
        started = time.monotonic()
        try:
            with portalocker.Lock(
                str(self.root / WRITE_LOCK), mode="a", timeout=lock_timeout, fail_when_locked=False
            ):
                report = self._update_locked(scope, progress, full)
        except portalocker.exceptions.LockException as exc:
            raise IndexBuildError(
                f"another process is still building the index in {self.root}; try again later"
            ) from exc
        report.seconds = time.monotonic() - started
        self._load_current()
        logger.info("{}", report.summary())
        return report

    def _update_locked(
        self, scope: list[Path], progress: ProgressCallback, full: bool
    ) -> UpdateReport:
        self._remove_stale_builds()
        base_name = self._current_name()
        base: _Generation | None = None
        if base_name and not full:
            try:
                base = _Generation(self.root / base_name, self.qdrant_url, self.root / "tmp")
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("published index unreadable ({}); rebuilding", exc)
        try:
            return self._build(scope, progress, full, base, base_name)
        finally:
            if base is not None:
                base.close()

    def _build(
        self,
        scope: list[Path],
        progress: ProgressCallback,
        full: bool,
        base: _Generation | None,
        previous: str | None,
    ) -> UpdateReport:
        report = UpdateReport()
        old_manifest = base.manifest if base else Manifest()
        rebuild = full or base is None or not self._reusable(base.meta)
        if rebuild and base is not None:
            # Re-embed everything the index held, not only what was asked for.
            scope = scope + [Path(p) for p in old_manifest.files if not under(Path(p), scope)]
        report.rebuilt = rebuild and base is not None

        files = self._discover(scope)
        hashes: dict[str, str] = {}
        for i, path in enumerate(files, 1):
            try:
                hashes[str(path)] = sha256_file(path, self.max_file_bytes)
            except OSError as exc:
                logger.warning("skipping {}: {}", path, exc)
            progress("scanning", i, len(files))
        in_scope = Manifest({p: e for p, e in old_manifest.files.items() if under(Path(p), scope)})
        changes = in_scope.diff(hashes)
        report.changes = changes
        outside = {p: e for p, e in old_manifest.files.items() if not under(Path(p), scope)}
        if not rebuild and not changes:
            report.files = len(old_manifest.files)
            report.chunks = len(base.chunks) if base else 0
            return report

        # Chunks: kept ones come from the base generation, new ones from the changed files.
        keep_files = set(outside) | (set() if rebuild else set(changes.unchanged))
        kept = [] if rebuild or base is None else [c for c in base.chunks if c.path in keep_files]
        manifest = Manifest({p: e for p, e in old_manifest.files.items() if p in keep_files})
        fresh: list[Chunk] = []
        to_chunk = sorted(hashes) if rebuild else changes.to_index
        for i, path in enumerate(to_chunk, 1):
            file_chunks = self._chunk(Path(path))
            fresh.extend(file_chunks)
            manifest.files[path] = FileEntry(hashes[path], [c.id for c in file_chunks])
            progress("chunking", i, len(to_chunk))
        chunks = _dedupe(kept + fresh)

        build = self.root / f".build-{uuid.uuid4().hex[:12]}"
        build.mkdir()
        gen_name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{build.name[-6:]}"
        scratch: Path | None = None
        try:
            scratch = (
                _scratch_dir(len(chunks), self.embedder.dimension) if not self.qdrant_url else None
            )
            store, collection = self._new_store(scratch or build, gen_name, base, rebuild, chunks)
            try:
                report.reused = sum(1 for c in kept if c.kind in DENSE_KINDS)
                report.embedded = self._embed_into(store, fresh, progress)
            finally:
                store.close()
            if scratch is not None:
                shutil.copytree(
                    scratch / "qdrant", build / "qdrant", ignore=shutil.ignore_patterns(".lock")
                )
            progress("writing", 0, 1)
            self._write_generation(build, chunks, manifest, collection)
            progress("writing", 1, 1)
            target = self.root / gen_name
            os.replace(build, target)
            self._publish(gen_name)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            if self.qdrant_url:
                self._drop_server_collection(SERVER_COLLECTION_PREFIX + gen_name)
            raise
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        report.generation = gen_name
        report.files = len(manifest.files)
        report.chunks = len(chunks)
        # The predecessor stays one round: readers that have not switched yet still need it.
        self._collect_garbage(keep={gen_name} | ({previous} if previous else set()))
        return report

    def _reusable(self, meta: dict[str, Any]) -> bool:
        return (
            meta.get("pipeline") == PIPELINE_VERSION
            and meta.get("bm25") == self.bm25_backend
            and self._embedder_matches(meta)
            and bool(meta.get("collection")) == bool(self.qdrant_url)
        )

    def _discover(self, scope: list[Path]) -> list[Path]:
        seen: dict[Path, None] = {}
        for root in scope:
            for path in iter_sources(root, max_bytes=self.max_file_bytes):
                seen.setdefault(normalise(path), None)
        return sorted(seen)

    def _chunk(self, path: Path) -> list[Chunk]:
        try:
            text = read_user_text(path, self.max_file_bytes)
        except OSError as exc:  # gone, or now a FIFO or too large (files says which)
            logger.warning("skipping {}: {}", path, exc)
            return []
        try:
            chunks = chunk_file(str(path), text, is_opcode=self.enricher.is_opcode)
            return [self.enricher.enrich(c) for c in chunks]
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop an index build
            logger.exception("chunking {} failed: {}", path, exc)
            return []

    def _new_store(
        self,
        build: Path,
        gen_name: str,
        base: _Generation | None,
        rebuild: bool,
        chunks: list[Chunk],
    ) -> tuple[VectorStore, str]:
        """A writable store for the new generation holding the base's vectors of kept chunks."""
        keep_ids = {c.id for c in chunks}
        if self.qdrant_url:
            collection = SERVER_COLLECTION_PREFIX + gen_name
            store = VectorStore.open_server(self.qdrant_url, collection)
            store.create(self.embedder.dimension)
            if base is not None and not rebuild:
                ids = [c.id for c in base.chunks if c.id in keep_ids]
                vectors = base.store.vectors(ids)
                store.upsert(
                    list(vectors),
                    np.stack(list(vectors.values()))
                    if vectors
                    else np.zeros((0, self.embedder.dimension), dtype=np.float32),
                )
            return store, collection
        target = build / "qdrant"
        if base is not None and not rebuild and (base.directory / "qdrant").is_dir():
            # Copying the immutable base folder is far cheaper than re-inserting every vector.
            shutil.copytree(
                base.directory / "qdrant", target, ignore=shutil.ignore_patterns(".lock")
            )
            store = VectorStore.open_local(target)
            stale = [c.id for c in base.chunks if c.id not in keep_ids]
            store.delete(stale)
            return store, ""
        store = VectorStore.open_local(target)
        store.create(self.embedder.dimension)
        return store, ""

    def _embed_into(
        self, store: VectorStore, fresh: list[Chunk], progress: ProgressCallback
    ) -> int:
        # Large batches let the embedder sort by length (less padding); progress stays fluid.
        batch = 256
        dense = [c for c in fresh if c.kind in DENSE_KINDS]
        total = len(dense)
        progress("embedding", 0, total)
        for start in range(0, total, batch):
            part = dense[start : start + batch]
            vectors = self.embedder.embed_documents([c.indexed_text for c in part])
            store.upsert([c.id for c in part], vectors)
            progress("embedding", min(start + batch, total), total)
        return total

    def _write_generation(
        self, build: Path, chunks: list[Chunk], manifest: Manifest, collection: str
    ) -> None:
        with (build / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        manifest.save(build / "manifest.json")
        KeywordIndex.build([c.indexed_text for c in chunks], self.bm25_backend).save(build / "bm25")
        meta = {
            "embedder": self.embedder.name,
            "dimension": self.embedder.dimension,
            "pipeline": PIPELINE_VERSION,
            "bm25": self.bm25_backend,
            "collection": collection,
            "files": len(manifest.files),
            "chunks": len(chunks),
            "built_at": time.time(),
        }
        # meta.json is written last: a generation without it is incomplete.
        _write_atomic(build / "meta.json", json.dumps(meta, indent=1))

    def _publish(self, gen_name: str) -> None:
        _write_atomic(self.root / CURRENT, gen_name + "\n")

    # -- housekeeping ------------------------------------------------------------------------

    def _remove_stale_builds(self) -> None:
        """Builds left by killed processes (we hold the write lock, so none is running)."""
        for path in self.root.glob(".build-*"):
            shutil.rmtree(path, ignore_errors=True)
        for tmp in self.root.glob("*.tmp"):
            tmp.unlink(missing_ok=True)

    def _collect_garbage(self, keep: set[str]) -> None:
        """Delete superseded generations that no process has open."""
        import portalocker

        def in_use(qdrant_dir: Path) -> bool:
            lock = qdrant_dir / ".lock"
            if not lock.exists():
                return False
            try:
                with portalocker.Lock(str(lock), mode="r+", timeout=0, fail_when_locked=True):
                    return False
            except portalocker.exceptions.LockException:
                return True  # a reader holds it; a later update deletes it
            except OSError:
                return False

        # Private copies left by readers that died (live readers hold their copy's lock).
        # A copy younger than a minute may still be being made (its lock not taken yet).
        for copy in sorted((self.root / "tmp").glob("qdrant-copy-*")):
            try:
                young = time.time() - copy.stat().st_mtime < 60
            except OSError:
                continue
            if not young and not in_use(copy):
                shutil.rmtree(copy, ignore_errors=True)
        for path in sorted(self.root.glob("gen-*")):
            if path.name in keep or (self._gen is not None and path.name == self._gen.name):
                continue
            if in_use(path / "qdrant"):
                continue
            if self.qdrant_url:
                meta = path / "meta.json"
                try:
                    collection = json.loads(meta.read_text("utf-8")).get("collection")
                except (OSError, ValueError):
                    collection = None
                if collection:
                    self._drop_server_collection(collection)
            shutil.rmtree(path, ignore_errors=True)

    def _drop_server_collection(self, collection: str) -> None:
        try:
            store = VectorStore.open_server(self.qdrant_url, collection)
            store.drop()
            store.close()
        except StoreError as exc:
            logger.warning("could not drop Qdrant collection {}: {}", collection, exc)


def _scratch_dir(points: int, dimension: int) -> Path | None:
    """A folder on a memory filesystem for building Qdrant local storage, when one has room.

    Local mode commits to SQLite once per point; on a disk each commit is an fsync (tens of points
    a second), in memory it is free. The finished storage is then copied into the build folder.
    """
    shm = Path("/dev/shm")
    try:
        free = shutil.disk_usage(shm).free
    except OSError:
        return None
    if free < 4 * points * (dimension * 4 + 2048) + (64 << 20):
        return None
    _remove_orphan_scratch(shm)
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=shm))


SCRATCH_PREFIX = "csound-assist-build-"


def _remove_orphan_scratch(base: Path) -> None:
    """Scratch folders of builds whose process died (killed builds cannot clean up)."""
    for path in base.glob(f"{SCRATCH_PREFIX}*"):
        pid = path.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # alive under another user, or not ours to judge


def _overlaps(a: Chunk, b: Chunk) -> bool:
    return a.path == b.path and a.start_line <= b.end_line and b.start_line <= a.end_line


def _dedupe(chunks: list[Chunk]) -> list[Chunk]:
    seen: set[str] = set()
    out = []
    for chunk in chunks:
        if chunk.id not in seen:
            seen.add(chunk.id)
            out.append(chunk)
    return out


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
