"""The vector store: Qdrant through qdrant-client, embedded (local mode) or a server.

Local mode (`QdrantClient(path=…)`) keeps one storage folder per index generation and lets only
one process hold a folder. Published generations are never written again, so a second process
(another editor window) that finds the folder locked opens a private copy of it instead: same
data, no lock contention. With `rag.qdrant_url` the same calls go to a Qdrant server, one
collection per generation.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from loguru import logger

LOCAL_COLLECTION = "chunks"
_POINT_NS = uuid.UUID("6f1b9a1e-4c1c-4df5-9b0e-2f7f1d1c5a11")


_blas: object | None = None
_blas_lock = threading.Lock()


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """A context limiting BLAS to one thread (a no-op without threadpoolctl)."""
    global _blas
    with _blas_lock:
        if _blas is None:
            try:
                from threadpoolctl import ThreadpoolController

                _blas = ThreadpoolController()
            except Exception:  # noqa: BLE001 - only latency depends on it
                _blas = False
    if not _blas:
        return contextlib.nullcontext()
    return _blas.limit(limits=1, user_api="blas")


class StoreError(RuntimeError):
    """The vector store cannot be opened or used; the message names the location."""


def point_id(chunk_id: str) -> str:
    """Qdrant ids are UUIDs or integers; derive a stable UUID from the chunk id."""
    return str(uuid.uuid5(_POINT_NS, chunk_id))


class VectorStore:
    """One collection of chunk vectors (cosine), addressed by chunk id."""

    def __init__(
        self,
        client,
        collection: str,
        *,
        private_copy: Path | None = None,
        in_memory_search: bool = False,
    ) -> None:
        self._client = client
        self.collection = collection
        self._private_copy = private_copy
        self._lock = threading.Lock()
        self._in_memory = in_memory_search
        # (chunk ids, row-normalised vectors), loaded on the first search; None after a write.
        self._matrix: tuple[list[str], np.ndarray] | None = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open_local(cls, path: Path, *, copy_dir: Path | None = None) -> VectorStore:
        """Open local-mode storage at `path`; if another process holds it, open a private copy.

        `copy_dir` is where private copies go (a temporary folder by default); the copy is removed
        on `close()`.
        """
        from qdrant_client import QdrantClient

        try:
            client = QdrantClient(path=str(path), force_disable_check_same_thread=True)
            return cls(client, LOCAL_COLLECTION, in_memory_search=True)
        except RuntimeError as exc:
            if "already accessed" not in str(exc):
                raise StoreError(f"cannot open vector store {path}: {exc}") from exc
        # Another process holds this (immutable) generation: read from a private copy.
        base = copy_dir or Path(tempfile.gettempdir())
        base.mkdir(parents=True, exist_ok=True)
        copy = Path(tempfile.mkdtemp(prefix="qdrant-copy-", dir=base))
        shutil.copytree(path, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".lock"))
        logger.info("vector store {} is in use by another process; reading a copy", path)
        try:
            client = QdrantClient(path=str(copy), force_disable_check_same_thread=True)
        except Exception as exc:
            shutil.rmtree(copy, ignore_errors=True)
            raise StoreError(f"cannot open a copy of vector store {path}: {exc}") from exc
        return cls(client, LOCAL_COLLECTION, private_copy=copy, in_memory_search=True)

    @classmethod
    def open_server(cls, url: str, collection: str, *, timeout: int = 10) -> VectorStore:
        from qdrant_client import QdrantClient

        try:
            client = QdrantClient(url=url, timeout=timeout)
            client.get_collections()
        except Exception as exc:  # noqa: BLE001 - connection errors vary by transport
            raise StoreError(f"Qdrant server {url} is not reachable: {exc}") from exc
        return cls(client, collection)

    # -- writing -----------------------------------------------------------------------------

    def create(self, dimension: int) -> None:
        from qdrant_client import models

        with self._lock:
            self._matrix = None
            if self._client.collection_exists(self.collection):
                self._client.delete_collection(self.collection)
            self._client.create_collection(
                self.collection,
                vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
            )

    def upsert(self, chunk_ids: Sequence[str], vectors: np.ndarray, *, batch: int = 256) -> None:
        from qdrant_client import models

        if len(chunk_ids) != len(vectors):
            raise ValueError(f"{len(chunk_ids)} ids for {len(vectors)} vectors")
        with self._lock:
            self._matrix = None
            for start in range(0, len(chunk_ids), batch):
                points = [
                    models.PointStruct(
                        id=point_id(cid), vector=vec.tolist(), payload={"chunk_id": cid}
                    )
                    for cid, vec in zip(
                        chunk_ids[start : start + batch],
                        vectors[start : start + batch],
                        strict=True,
                    )
                ]
                self._client.upsert(self.collection, points=points, wait=True)

    def delete(self, chunk_ids: Sequence[str]) -> None:
        from qdrant_client import models

        if not chunk_ids:
            return
        with self._lock:
            self._matrix = None
            self._client.delete(
                self.collection,
                points_selector=models.PointIdsList(points=[point_id(c) for c in chunk_ids]),
                wait=True,
            )

    def drop(self) -> None:
        with self._lock:
            self._matrix = None
            if self._client.collection_exists(self.collection):
                self._client.delete_collection(self.collection)

    # -- reading -----------------------------------------------------------------------------

    def vectors(self, chunk_ids: Sequence[str], *, batch: int = 512) -> dict[str, np.ndarray]:
        """Stored vectors of `chunk_ids` (missing ids are absent from the result)."""
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(chunk_ids), batch):
                records = self._client.retrieve(
                    self.collection,
                    ids=[point_id(c) for c in chunk_ids[start : start + batch]],
                    with_payload=True,
                    with_vectors=True,
                )
                for record in records:
                    out[record.payload["chunk_id"]] = np.asarray(record.vector, dtype=np.float32)
        return out

    def search(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """Chunk ids with cosine similarity, best first."""
        if limit <= 0:
            return []
        with self._lock:
            if self._in_memory:
                return self._search_matrix(np.asarray(vector, dtype=np.float32), limit)
            response = self._client.query_points(
                self.collection, query=vector.tolist(), limit=limit, with_payload=True
            )
        return [(p.payload["chunk_id"], float(p.score)) for p in response.points]

    def _load_matrix(self) -> tuple[list[str], np.ndarray]:
        """Every stored vector, row-normalised (cosine = dot product). Caller holds the lock."""
        if self._matrix is None:
            ids: list[str] = []
            rows: list[list[float]] = []
            offset = None
            while True:
                records, offset = self._client.scroll(
                    self.collection,
                    limit=1024,
                    offset=offset,
                    with_payload=True,
                    with_vectors=True,
                )
                for record in records:
                    ids.append(record.payload["chunk_id"])
                    rows.append(record.vector)
                if offset is None:
                    break
            matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix /= np.where(norms > 0, norms, 1.0)
            self._matrix = (ids, matrix)
        return self._matrix

    def _search_matrix(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        ids, matrix = self._load_matrix()
        if not ids:
            return []
        norm = float(np.linalg.norm(vector))
        with _one_blas_thread():
            scores = matrix @ (vector / norm if norm > 0 else vector)
        limit = min(limit, len(ids))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[i], float(scores[i])) for i in top]

    def count(self) -> int:
        with self._lock:
            return int(self._client.count(self.collection, exact=True).count)

    def close(self) -> None:
        with self._lock:
            self._matrix = None
            try:
                self._client.close()
            finally:
                if self._private_copy is not None:
                    shutil.rmtree(self._private_copy, ignore_errors=True)
                    self._private_copy = None
