"""The content-hash manifest: which files an index holds, their SHA-256, and the chunks they gave.

Re-indexing compares the manifest with the files on disk: unchanged files keep their chunks and
vectors, changed files are re-chunked and re-embedded, deleted files are dropped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csound_assist import files

FORMAT = 1


def sha256_file(path: Path, max_bytes: int = files.DEFAULT_MAX_BYTES) -> str:
    """The hash of a user file, read through `files` (regular files within the limit only)."""
    return hashlib.sha256(files.read_bytes(path, max_bytes)).hexdigest()


@dataclass
class FileEntry:
    sha256: str
    chunk_ids: list[str] = field(default_factory=list)


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def to_index(self) -> list[str]:
        return self.added + self.changed

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged"
        )


@dataclass
class Manifest:
    files: dict[str, FileEntry] = field(default_factory=dict)

    def diff(self, hashes: dict[str, str]) -> Changes:
        """Compare with `hashes` (path → SHA-256 of every file that should be in the index)."""
        changes = Changes()
        for path, digest in sorted(hashes.items()):
            entry = self.files.get(path)
            if entry is None:
                changes.added.append(path)
            elif entry.sha256 != digest:
                changes.changed.append(path)
            else:
                changes.unchanged.append(path)
        changes.removed = sorted(set(self.files) - set(hashes))
        return changes

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "files": {
                p: {"sha256": e.sha256, "chunks": e.chunk_ids}
                for p, e in sorted(self.files.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported manifest format {data.get('format')!r}")
        return cls({p: FileEntry(e["sha256"], list(e["chunks"])) for p, e in data["files"].items()})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
