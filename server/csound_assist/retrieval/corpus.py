"""Which files an index holds: Csound sources under the configured and requested folders."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from csound_assist import files

EXTENSIONS = frozenset({".csd", ".orc", ".sco", ".udo", ".inc"})
# Folders that never hold examples worth indexing and can be huge.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv"})
MAX_FILE_BYTES = 2_000_000


def is_source(path: Path) -> bool:
    return path.suffix.lower() in EXTENSIONS


def iter_sources(root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Iterator[Path]:
    """Csound sources under `root` (or `root` itself), sorted, skipping VCS/hidden folders."""
    if root.is_file():
        if is_source(root) and _small_enough(root, max_bytes):
            yield root
        return
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if is_source(path) and _small_enough(path, max_bytes):
                yield path


def _small_enough(path: Path, max_bytes: int) -> bool:
    # A regular file within the limit: a FIFO named x.csd would block the reader forever.
    return files.readable(path, max_bytes)


def normalise(path: Path | str) -> Path:
    """Absolute, symlink-free form used as the manifest key."""
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)
