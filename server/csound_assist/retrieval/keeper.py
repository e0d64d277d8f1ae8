"""The index inside a long-running process (the language server).

One `Index`, opened lazily; updates run one at a time off the event loop; saved files are
re-indexed after a short quiet period, coalesced; and a status object for the editor's status bar
(`csound/status` field `index`): `{state: missing|building|ready|error, done?, total?, message?,
files?, chunks?, embedder?}`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.retrieval.corpus import is_source
from csound_assist.retrieval.index import Index, IndexStats, UpdateReport
from csound_assist.retrieval.types import SearchResult

StatusCallback = Callable[[dict[str, Any]], None]
ProgressCallback = Callable[[str, int, int], None]

STAGE_WORDS = {
    "scanning": "scanning files",
    "chunking": "chunking",
    "embedding": "embedding",
    "writing": "writing",
}


def ready_status(stats: IndexStats) -> dict[str, Any]:
    """The status of a published (or absent) index."""
    if not stats.generation:
        return {"state": "missing", "message": "no example index yet"}
    status: dict[str, Any] = {
        "state": "ready",
        "files": stats.files,
        "chunks": stats.chunks,
        "embedder": stats.embedder,
        "message": f"{stats.files} files, {stats.chunks} chunks",
    }
    if stats.stale_embedder:
        status["message"] += " (built by another embedder: keyword search only until rebuilt)"
    return status


def building_status(stage: str, done: int, total: int) -> dict[str, Any]:
    return {"state": "building", "done": done, "total": total,
            "message": STAGE_WORDS.get(stage, stage)}


def report_dict(report: UpdateReport) -> dict[str, Any]:
    """What `csound/reindex` answers."""
    return {
        "summary": report.summary(),
        "rebuilt": report.rebuilt,
        "added": len(report.changes.added),
        "changed": len(report.changes.changed),
        "removed": len(report.changes.removed),
        "unchanged": len(report.changes.unchanged),
        "embedded": report.embedded,
        "reused": report.reused,
        "files": report.files,
        "chunks": report.chunks,
        "generation": report.generation,
        "seconds": round(report.seconds, 3),
    }


def indexable(path: Path, roots: Iterable[Path]) -> bool:
    """A saved file belongs in the index when it is a Csound file under one of `roots`."""
    if not is_source(path):
        return False
    resolved = path.resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


class Throttle:
    """Lets a progress report through on a stage change, at the end, or every `interval` s."""

    def __init__(self, interval: float = 0.25, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock
        self._last: tuple[str, float] | None = None

    def __call__(self, stage: str, done: int, total: int) -> bool:
        now = self.clock()
        if (
            self._last is None
            or self._last[0] != stage
            or done >= total
            or now - self._last[1] >= self.interval
        ):
            self._last = (stage, now)
            return True
        return False


class ScopedIndex:
    """An index whose searches stay within the keeper's scope (what the AI features search)."""

    def __init__(self, index: Index, scope: Callable[[], list[Path] | None]) -> None:
        self.index = index
        self._scope = scope

    def search(self, query: str, k: int | None = None, *, mode: str = "hybrid"
               ) -> list[SearchResult]:
        return self.index.search(query, k, mode=mode, within=self._scope())


class IndexKeeper:
    """Owns the server's index. All methods are called on the event loop.

    `scope` (set by the server: the configured sources and the workspace folders) limits search
    results: the index is one per user, and another project's files do not belong in this one's
    answers."""

    def __init__(
        self,
        opener: Callable[[], Index],
        on_status: StatusCallback,
        *,
        save_delay: float = 1.0,
    ) -> None:
        self._opener = opener
        self._on_status = on_status
        self._index: Index | None = None
        self._open_error: str | None = None
        self._lock = asyncio.Lock()
        self.save_delay = save_delay
        self._pending: set[Path] = set()
        self._failed: set[Path] = set()
        self._last_save = 0.0
        self._save_task: asyncio.Task[Any] | None = None
        self.status: dict[str, Any] = {"state": "missing"}
        self.scope: list[Path] | None = None

    # -- state -------------------------------------------------------------------------------
    def _set(self, status: dict[str, Any]) -> None:
        self.status = status
        self._on_status(status)

    @property
    def current(self) -> Index | None:
        """The open index, if it was opened already (never blocks)."""
        return self._index

    def view(self) -> ScopedIndex | None:
        """The open index searched within `scope`, or None before it is open."""
        return None if self._index is None else ScopedIndex(self._index, lambda: self.scope)

    async def open(self) -> Index | None:
        """Open the index (cheap: nothing is embedded); None, with an error status, on failure."""
        if self._index is not None:
            return self._index
        try:
            self._index = await asyncio.to_thread(self._opener)
        except Exception as exc:  # noqa: BLE001 — the editor works without retrieval
            self._open_error = str(exc)
            logger.warning("example index unavailable: {}", exc)
            self._set({"state": "error", "message": f"index unavailable: {exc}"})
            return None
        self._set(ready_status(await asyncio.to_thread(self._index.stats)))
        return self._index

    async def close(self) -> None:
        if self._save_task is not None:
            self._save_task.cancel()
        index, self._index = self._index, None
        if index is not None:
            async with self._lock:
                await asyncio.to_thread(index.close)

    # -- work --------------------------------------------------------------------------------
    async def update(
        self,
        paths: list[Path] | None = None,
        *,
        full: bool = False,
        progress: ProgressCallback | None = None,
    ) -> UpdateReport | None:
        """Bring `paths` (default: the index's sources) up to date, one update at a time.

        Progress reaches `progress` and the status on the event loop, throttled. Returns None
        when the index could not be opened or the update failed (the status says why; the
        published index is unchanged)."""
        index = await self.open()
        if index is None:
            return None
        loop = asyncio.get_running_loop()
        throttle = Throttle()

        def report(stage: str, done: int, total: int) -> None:
            self._set(building_status(stage, done, total))
            if progress is not None:
                progress(stage, done, total)

        def from_worker(stage: str, done: int, total: int) -> None:
            if throttle(stage, done, total):
                loop.call_soon_threadsafe(report, stage, done, total)

        async with self._lock:
            self._set(building_status("scanning", 0, 0))
            try:
                result = await asyncio.to_thread(index.update, paths, from_worker, full=full)
            except Exception as exc:  # noqa: BLE001 — IndexBuildError, EmbedderError, StoreError…
                logger.warning("index update failed: {}", exc)
                await asyncio.sleep(0)  # let queued progress reports land before the error
                self._set({"state": "error", "message": str(exc)})
                raise
            await asyncio.sleep(0)
            self._set(ready_status(await asyncio.to_thread(index.stats)))
            return result

    async def search(self, query: str, k: int | None = None, mode: str = "hybrid"
                     ) -> list[SearchResult]:
        index = await self.open()
        if index is None:
            return []
        return await asyncio.to_thread(index.search, query, k, mode=mode, within=self.scope)

    def saved(self, path: Path, roots: Iterable[Path]) -> None:
        """Re-index a saved file under `roots` once no file was saved for `save_delay` s."""
        if not indexable(path, roots):
            return
        self._pending.add(path)
        self._last_save = time.monotonic()
        if self._save_task is None or self._save_task.done():
            self._save_task = asyncio.ensure_future(self._flush_saves())

    async def _flush_saves(self) -> None:
        while self._pending:
            wait = self._last_save + self.save_delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            paths, self._pending = sorted(self._pending | self._failed), set()
            self._failed = set()
            try:
                await self.update(paths)
            except Exception:  # noqa: BLE001 — logged and shown in the status by update()
                self._failed.update(paths)  # joined to the next save's batch
