"""Shared fixtures: tests get private cache/state/config dirs; nothing touches the user's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MANUAL = Path("/usr/share/doc/csound-doc/html")


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("csound-assist-home")
    for var in ("CACHE", "STATE", "CONFIG", "LOG"):
        os.environ.setdefault(f"CSOUND_ASSIST_{var}_DIR", str(base / var.lower()))


@pytest.fixture(scope="session")
def has_csound() -> bool:
    return shutil.which("csound") is not None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session", autouse=True)
def _no_index_on_start(_isolated_dirs: None) -> None:
    """Language servers started by tests do not index the whole manual in the background (minutes
    of embedding on two cores); tests of that behaviour turn it on in their workspace config."""
    config = Path(os.environ["CSOUND_ASSIST_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    user = config / "config.toml"
    if not user.exists():
        user.write_text("[rag]\nindex_on_start = false\n", "utf-8")
