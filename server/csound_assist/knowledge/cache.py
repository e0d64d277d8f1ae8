"""The on-disk cache of the knowledge base.

Keyed by the Csound installation and the manual: the resolved executable's path, size and mtime (a
Csound upgrade replaces the binary), the plugin-directory variables Csound reads, and the manual
directory's mtime. The Csound version string itself is read at build time and stored in the
knowledge base; asking Csound for it on every load would cost a process start (~0.25 s), the whole
load budget.

Pickle, because it loads several times faster than JSON plus object reconstruction (see
bench/knowledge.py); the file lives in the user's own cache dir and is written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

from loguru import logger

from csound_assist.knowledge.manual import manual_fingerprint
from csound_assist.knowledge.model import KnowledgeBase

SCHEMA = 4  # bump when the model changes incompatibly
_PLUGIN_ENV = ("OPCODE6DIR64", "OPCODE6DIR", "CSNOSTOP")
# The code that decides what is stored: editing it (or upgrading csound-assist) rebuilds the cache.
_BUILDERS = ("build.py", "manual.py", "syntax.py", "model.py", "types.py", "htmltext.py", "z1.py")


def _code_stamp() -> int:
    here = Path(__file__).parent
    stamp = 0
    for name in _BUILDERS:
        with contextlib.suppress(OSError):
            stamp = max(stamp, (here / name).stat().st_mtime_ns)
    return stamp


def cache_key(executable_path: str, manual_dir: str | os.PathLike[str] | None) -> dict[str, object]:
    try:
        st = os.stat(executable_path)
        exe: object = [os.path.realpath(executable_path), st.st_size, st.st_mtime_ns]
    except OSError:
        exe = [executable_path]
    return {
        "schema": SCHEMA,
        "code": _code_stamp(),
        "csound": exe,
        "env": {k: os.environ.get(k, "") for k in _PLUGIN_ENV},
        "manual": manual_fingerprint(manual_dir) if manual_dir else None,
    }


def cache_path(directory: Path, key: dict[str, object]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return directory / f"kb-{digest}.pickle"


def load(path: Path) -> KnowledgeBase | None:
    """The cached knowledge base, or None when absent or unreadable (it is then rebuilt)."""
    try:
        with path.open("rb") as fh:
            kb = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file is just a cache miss
        logger.warning("ignoring unreadable knowledge-base cache {}: {}", path, exc)
        return None
    return kb if isinstance(kb, KnowledgeBase) else None


def store(path: Path, kb: KnowledgeBase) -> None:
    """Write atomically, then drop caches of other keys (older Csound or manual)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(kb, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for other in path.parent.glob("kb-*.pickle"):
        if other != path:
            other.unlink(missing_ok=True)
