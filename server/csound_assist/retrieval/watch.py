"""Follow folders with watchdog and re-index what changes, debounced."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from loguru import logger

from csound_assist.retrieval.corpus import EXTENSIONS, SKIP_DIRS, normalise
from csound_assist.retrieval.index import Index, UpdateReport


def _relevant(path: str) -> bool:
    p = Path(path)
    if any(part in SKIP_DIRS or part.startswith(".") for part in p.parts[1:-1]):
        return False
    return p.suffix.lower() in EXTENSIONS or p.suffix == ""  # a suffix-less path may be a folder


class _Collector:
    """Accumulates changed paths; `drain()` returns and clears them."""

    def __init__(self) -> None:
        self._paths: set[Path] = set()
        self._lock = threading.Lock()
        self.changed = threading.Event()

    def add(self, *paths: str) -> None:
        with self._lock:
            for path in paths:
                if path and _relevant(path):
                    self._paths.add(normalise(path))
            if self._paths:
                self.changed.set()

    def drain(self) -> list[Path]:
        with self._lock:
            paths, self._paths = sorted(self._paths), set()
            self.changed.clear()
            return paths


def watch(
    index: Index,
    roots: Sequence[Path],
    stop: threading.Event,
    *,
    debounce: float = 1.0,
    on_update: Callable[[UpdateReport], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Block until `stop` is set, re-indexing changed sources `debounce` s after the last event."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    collector = _Collector()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            collector.add(str(event.src_path), str(getattr(event, "dest_path", "") or ""))

    observer = Observer()
    for root in roots:
        if root.is_dir():
            observer.schedule(Handler(), str(root), recursive=True)
        else:
            logger.warning("not watching {}: not a folder", root)
    observer.start()
    try:
        if on_ready:
            on_ready()
        while not stop.is_set():
            if not collector.changed.wait(0.2):
                continue
            # Debounce: wait until events stop arriving (editors write files in several steps).
            while not stop.is_set():
                collector.changed.clear()
                if not collector.changed.wait(debounce):
                    break
            paths = collector.drain()
            if not paths or stop.is_set():
                continue
            try:
                report = index.update(paths)
            except Exception as exc:  # noqa: BLE001 - keep watching after a failed update
                logger.error("re-indexing {} paths failed: {}", len(paths), exc)
                continue
            if on_update:
                on_update(report)
    finally:
        observer.stop()
        observer.join(timeout=5)
