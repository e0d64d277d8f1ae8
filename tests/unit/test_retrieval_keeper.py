"""IndexKeeper (the index inside the language server) over a real Index with the hashing embedder:
status transitions, throttled progress, coalesced re-indexing of saved files, failures."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from csound_assist.retrieval import HashingEmbedder, Index, IndexStats
from csound_assist.retrieval.enrich import Enricher
from csound_assist.retrieval.keeper import (
    IndexKeeper,
    Throttle,
    building_status,
    indexable,
    ready_status,
)
from tests.conftest import EXAMPLES


def corpus(tmp_path: Path) -> Path:
    src = tmp_path / "corpus"
    src.mkdir()
    for name in ("clean-synth.csd", "fm-bell.csd"):
        shutil.copy(EXAMPLES / name, src / name)
    return src


def make(tmp_path: Path, src: Path, **kw: Any) -> tuple[IndexKeeper, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def opener() -> Index:
        return Index(tmp_path / "idx", HashingEmbedder(), enricher=Enricher(lambda _: None),
                     sources=[src])

    return IndexKeeper(opener, seen.append, **kw), seen


def stats(**kw: Any) -> IndexStats:
    base = dict(root="/x", generation="g1", embedder="hash", dimension=256, files=3, chunks=9,
                built_at=1.0, stale_embedder=False)
    return IndexStats(**{**base, **kw})


def test_status_shapes() -> None:
    assert ready_status(stats(generation=None))["state"] == "missing"
    ready = ready_status(stats())
    assert ready["state"] == "ready" and ready["message"] == "3 files, 9 chunks"
    assert "keyword search only" in ready_status(stats(stale_embedder=True))["message"]
    assert building_status("embedding", 4, 10) == {
        "state": "building", "done": 4, "total": 10, "message": "embedding"}


def test_throttle_passes_stage_changes_and_the_end() -> None:
    now = [0.0]
    throttle = Throttle(interval=1.0, clock=lambda: now[0])
    assert throttle("chunking", 1, 10)
    assert not throttle("chunking", 2, 10)
    assert throttle("embedding", 0, 10)  # new stage
    assert throttle("embedding", 10, 10)  # the end
    now[0] = 5.0
    assert throttle("embedding", 3, 10)


def test_indexable(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert indexable(tmp_path / "a" / "x.csd", [tmp_path])
    assert indexable(tmp_path / "x.UDO", [tmp_path])
    assert not indexable(tmp_path / "x.py", [tmp_path])
    assert not indexable(Path("/elsewhere/x.csd"), [tmp_path])


async def test_update_reports_building_then_ready_and_searches(tmp_path: Path) -> None:
    keeper, seen = make(tmp_path, corpus(tmp_path))
    assert keeper.current is None
    await keeper.open()
    assert seen[-1]["state"] == "missing" and keeper.current is not None
    progress: list[tuple[str, int, int]] = []
    report = await keeper.update(progress=lambda *a: progress.append(a))
    assert report is not None and report.files == 2
    states = [s["state"] for s in seen]
    assert states[0] == "missing" and "building" in states and states[-1] == "ready"
    assert {stage for stage, _, _ in progress} >= {"scanning", "embedding"}
    hits = await keeper.search("moogladder", 2)
    assert hits and Path(hits[0].chunk.path).name == "clean-synth.csd"
    await keeper.close()
    assert keeper.current is None


async def test_saves_are_coalesced_into_one_update(tmp_path: Path) -> None:
    src = corpus(tmp_path)
    keeper, seen = make(tmp_path, src, save_delay=0.2)
    await keeper.update()
    index = keeper.current
    assert index is not None
    calls: list[Any] = []
    real_update = index.update

    def counted(paths: Any, *a: Any, **k: Any) -> Any:
        calls.append(paths)
        return real_update(paths, *a, **k)

    index.update = counted  # type: ignore[method-assign]
    new = src / "new.orc"
    new.write_text("instr 9\n  a1 fractalnoise 0.1, 1\n  out a1\nendin\n", "utf-8")
    for _ in range(5):
        keeper.saved(new, [src])
        await asyncio.sleep(0.02)
    keeper.saved(tmp_path / "outside.csd", [src])  # not under a root: ignored
    for _ in range(200):
        if seen[-1]["state"] == "ready" and seen[-1]["files"] == 3:
            break
        await asyncio.sleep(0.05)
    assert seen[-1]["files"] == 3
    assert calls == [[new]]  # five saves, one update of just that file
    assert Path((await keeper.search("fractalnoise", 1))[0].chunk.path).name == "new.orc"


async def test_open_failure_is_an_error_status_not_an_exception(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def opener() -> Index:
        raise OSError("disk full")

    keeper = IndexKeeper(opener, seen.append)
    assert await keeper.open() is None
    assert seen[-1] == {"state": "error", "message": "index unavailable: disk full"}
    assert await keeper.search("anything") == []
    assert await keeper.update() is None


async def test_update_failure_sets_error_and_keeps_the_published_index(tmp_path: Path) -> None:
    keeper, seen = make(tmp_path, corpus(tmp_path))
    await keeper.update()
    index = keeper.current
    assert index is not None

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("embedder crashed")

    index.update = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await keeper.update()
    assert seen[-1] == {"state": "error", "message": "embedder crashed"}
    assert await keeper.search("moogladder", 1)  # the published generation still answers


async def test_scope_limits_search_and_the_view(tmp_path: Path) -> None:
    src = corpus(tmp_path)
    keeper, _ = make(tmp_path, src)
    await keeper.update()
    assert keeper.view() is not None
    found = {Path(r.chunk.path).name for r in await keeper.search("foscili moogladder", 5)}
    assert found == {"clean-synth.csd", "fm-bell.csd"}
    keeper.scope = [src / "clean-synth.csd"]  # a file; folders work the same way
    found = {Path(r.chunk.path).name for r in await keeper.search("foscili moogladder", 5)}
    assert found == {"clean-synth.csd"}
    view = keeper.view()
    assert view is not None
    assert {Path(r.chunk.path).name for r in view.search("foscili", 5, mode="keyword")} <= {
        "clean-synth.csd"}
    keeper.scope = [tmp_path / "elsewhere"]
    assert await keeper.search("foscili", 5) == []
