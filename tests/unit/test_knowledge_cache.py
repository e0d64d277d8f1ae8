"""The knowledge-base cache: reused while Csound and the manual are unchanged, rebuilt otherwise."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import csound_assist.knowledge as knowledge
from csound_assist.knowledge import KnowledgeBase, load_knowledge_base

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="Csound is not installed")

PAGE = """<html><body><div class="refentry"><div class="refnamediv">
<h2><span class="refentrytitle">moogladder</span></h2><p>moogladder — Moog ladder.</p></div>
<div class="refsect1"><h2>Syntax</h2><pre class="synopsis">asig <span class="command">
<strong>moogladder</strong></span> ain, kcf, kres[, istor]</pre></div></div></body></html>"""


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each real build (the real builder still runs)."""
    calls: list[str] = []
    real = knowledge.build_knowledge_base

    def spy(executable: str, manual_dir: object) -> KnowledgeBase:
        calls.append(executable)
        return real(executable, manual_dir)

    monkeypatch.setattr(knowledge, "build_knowledge_base", spy)
    monkeypatch.setattr(knowledge, "_loaded", {})
    return calls


@pytest.fixture
def manual_dir(tmp_path: Path) -> Path:
    root = tmp_path / "manual"
    root.mkdir()
    (root / "index.html").write_text("<html></html>", encoding="utf-8")
    (root / "moogladder.html").write_text(PAGE, encoding="utf-8")
    return root


def _load(manual_dir: Path, cache: Path, executable: str = "csound") -> KnowledgeBase:
    knowledge._loaded.clear()  # as a fresh process would
    return load_knowledge_base(executable=executable, manual_dir=manual_dir, cache_dir=cache)


def test_second_load_comes_from_disk(builds: list[str], manual_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(manual_dir, cache)
    assert len(builds) == 1 and len(list(cache.glob("kb-*.pickle"))) == 1
    second = _load(manual_dir, cache)
    assert len(builds) == 1
    assert second.opcodes["moogladder"].summary == "Moog ladder."
    assert first.opcodes["moogladder"].summary == "Moog ladder."


def test_manual_change_rebuilds(builds: list[str], manual_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _load(manual_dir, cache)
    (manual_dir / "moogladder.html").write_text(PAGE.replace("Moog ladder.", "New text."), "utf-8")
    later = os.stat(manual_dir).st_mtime + 10
    os.utime(manual_dir, (later, later))  # what a package upgrade does to the directory
    kb = _load(manual_dir, cache)
    assert len(builds) == 2
    assert kb.opcodes["moogladder"].summary == "New text."
    assert len(list(cache.glob("kb-*.pickle"))) == 1  # the stale cache is gone


def test_other_csound_rebuilds(builds: list[str], manual_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _load(manual_dir, cache)
    wrapper = tmp_path / "bin" / "csound"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("csound")} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    kb = _load(manual_dir, cache, executable=str(wrapper))
    assert builds == ["csound", str(wrapper)] or builds[-1].endswith("bin/csound")
    assert len(builds) == 2 and kb.csound_version.startswith("6.")


def test_corrupt_cache_is_rebuilt(builds: list[str], manual_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _load(manual_dir, cache)
    (path,) = cache.glob("kb-*.pickle")
    path.write_bytes(b"not a pickle")
    kb = _load(manual_dir, cache)
    assert len(builds) == 2 and "moogladder" in kb.opcodes


def test_rebuild_flag(builds: list[str], manual_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _load(manual_dir, cache)
    load_knowledge_base(executable="csound", manual_dir=manual_dir, cache_dir=cache, rebuild=True)
    assert len(builds) == 2
