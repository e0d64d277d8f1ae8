"""Where csound-assist keeps its files: XDG dirs via platformdirs; env vars override them."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "csound-assist"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Rebuildable data: the knowledge-base cache, the retrieval index."""
    return _dir("CSOUND_ASSIST_CACHE_DIR", platformdirs.user_cache_dir(APP))


def state_dir() -> Path:
    """Data worth keeping across runs: logs, chat history, feedback."""
    return _dir("CSOUND_ASSIST_STATE_DIR", platformdirs.user_state_dir(APP))


def log_dir() -> Path:
    return _dir("CSOUND_ASSIST_LOG_DIR", str(state_dir() / "logs"))


def config_dir() -> Path:
    """Holds the user's `config.toml`; not created, since reading needs nothing there."""
    return Path(os.environ.get("CSOUND_ASSIST_CONFIG_DIR") or platformdirs.user_config_dir(APP))
