"""The opcode knowledge base, generated from the installed Csound (`csound -z1`) and its manual.

    from csound_assist.knowledge import load_knowledge_base
    kb = load_knowledge_base()          # cached on disk; rebuilt when Csound or the manual changes
    op = kb.get("moogladder")
    op.summary, op.syntax, op.params, [s.render(op.name) for s in op.signatures]

Without the manual the opcodes still carry their signatures and `kb.notes` says how to install it;
without Csound, `load_knowledge_base` raises `CsoundNotFoundError` naming the install command.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from loguru import logger

from csound_assist.knowledge import cache
from csound_assist.knowledge.build import build_knowledge_base
from csound_assist.knowledge.manual import DEFAULT_MANUAL_DIR, INSTALL_MANUAL
from csound_assist.knowledge.model import (
    Flag,
    KnowledgeBase,
    ManualEntry,
    Opcode,
    Param,
    Signature,
)
from csound_assist.knowledge.z1 import (
    INSTALL_CSOUND,
    CsoundNotFoundError,
    KnowledgeBaseError,
    find_executable,
)

if TYPE_CHECKING:
    from csound_assist.config import Config

__all__ = [
    "DEFAULT_MANUAL_DIR", "INSTALL_CSOUND", "INSTALL_MANUAL", "CsoundNotFoundError", "Flag",
    "KnowledgeBase", "KnowledgeBaseError", "ManualEntry", "Opcode", "Param", "Signature",
    "build_knowledge_base", "load_knowledge_base",
]

_lock = threading.Lock()
# One unpickled copy per cache file per process: several features ask for the knowledge base.
_loaded: dict[Path, KnowledgeBase] = {}


def _settings(config: Config | None) -> tuple[str, str]:
    if config is None:
        try:
            from csound_assist.config import load_config

            config = load_config()
        except Exception as exc:  # a broken config must not cost the knowledge base
            logger.warning("using default Csound settings for the knowledge base: {}", exc)
            return "csound", DEFAULT_MANUAL_DIR
    csound = getattr(config, "csound", None)
    return (getattr(csound, "executable", None) or "csound",
            getattr(csound, "manual_dir", None) or DEFAULT_MANUAL_DIR)


def _default_cache_dir() -> Path:
    from csound_assist.paths import cache_dir

    return cache_dir() / "knowledge"


def load_knowledge_base(
    config: Config | None = None,
    *,
    executable: str | None = None,
    manual_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    rebuild: bool = False,
) -> KnowledgeBase:
    """The knowledge base for the configured Csound and manual (arguments override the config).

    Loads from the cache when it matches the installation, else builds (seconds) and caches it.
    Raises `CsoundNotFoundError` when the executable is missing, `KnowledgeBaseError` when it fails.
    """
    need_config = executable is None or manual_dir is None
    cfg_exe, cfg_manual = _settings(config) if need_config else ("", "")
    exe = executable or cfg_exe
    manual = str(manual_dir) if manual_dir is not None else cfg_manual
    exe_path = find_executable(exe)
    directory = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
    path = cache.cache_path(directory, cache.cache_key(exe_path, manual))
    with _lock:
        if not rebuild:
            kb = _loaded.get(path)
            if kb is None and (kb := cache.load(path)) is not None:
                _loaded[path] = kb
            if kb is not None:
                return kb
        kb = build_knowledge_base(exe_path, manual)
        try:
            cache.store(path, kb)
        except OSError as exc:  # read-only cache dir: still usable, just slower next time
            logger.warning("could not cache the knowledge base at {}: {}", path, exc)
        _loaded[path] = kb
        return kb
