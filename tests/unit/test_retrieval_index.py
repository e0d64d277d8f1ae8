"""The index end to end on a small corpus: incremental updates, atomic swap, two processes.

Real Qdrant local mode, real BM25, real tree-sitter chunks; the deterministic hashing embedder
keeps it fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from csound_assist.retrieval import HashingEmbedder, Index
from csound_assist.retrieval.enrich import Enricher
from csound_assist.retrieval.index import DENSE_KINDS
from tests.helpers import csd

SUMMARIES = {
    "moogladder": "Moog ladder lowpass filter.",
    "oscili": "A simple oscillator with linear interpolation.",
    "reverbsc": "8 delay line stereo FDN reverb.",
    "vco2": "Implementation of a band-limited oscillator using pre-calculated tables.",
}

FILTER = csd("""\
instr Sweep
  ; a resonant filter sweep over a sawtooth
  asaw vco2 0.4, 110
  kcf expon 200, p3, 8000
  afil moogladder asaw, kcf, 0.8
  outs afil, afil
endin""", sco='i "Sweep" 0 4', options=None)

SINE = csd("""\
instr 1
  ; plain sine tone
  asig oscili 0.3, p4
  outs asig, asig
endin""", sco="f 1 0 16384 10 1\ni 1 0 1 440", options=None)

REVERB = """instr 10
  ain inch 1
  aL, aR reverbsc ain, ain, 0.85, 12000
  outs aL, aR
endin
"""


def make_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "filter.csd").write_text(FILTER)
    (root / "sine.csd").write_text(SINE)
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "reverb.orc").write_text(REVERB)
    (root / "notes.txt").write_text("not csound")
    return root


def dense(index: Index) -> list:
    return [c for c in index.chunks() if c.kind in DENSE_KINDS]


def open_index(root: Path, **kw) -> Index:
    return Index(root, HashingEmbedder(), enricher=Enricher(SUMMARIES.get), **kw)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    return make_corpus(tmp_path / "corpus")


def test_update_indexes_sources_and_search_finds_them(tmp_path: Path, corpus: Path) -> None:
    stages: list[str] = []
    with open_index(tmp_path / "idx") as index:
        report = index.update([corpus], lambda stage, done, total: stages.append(stage))
        assert report.files == 3 and report.chunks > 3
        assert report.embedded == len(dense(index)) < report.chunks  # score chunks: BM25 only
        assert {"scanning", "chunking", "embedding", "writing"} <= set(stages)
        results = index.search("resonant lowpass filter", 3)
        assert results[0].chunk.path == str(corpus.resolve() / "filter.csd")
        assert "moogladder" in results[0].chunk.opcodes
        assert results[0].sources  # found by at least one retriever
        reverb = index.search("reverbsc", 1, mode="keyword")[0]
        assert reverb.chunk.id.endswith("reverb.orc#instr:10")
        assert (reverb.chunk.start_line, reverb.chunk.end_line) == (1, 5)
        assert index.search("", 5) == [] and index.search("oscili", 0) == []
        stats = index.stats()
        assert stats.files == 3 and stats.embedder == "hash-256" and not stats.stale_embedder


def test_results_are_distinct_and_serialisable(tmp_path: Path, corpus: Path) -> None:
    with open_index(tmp_path / "idx") as index:
        index.update([corpus])
        results = index.search("instr outs asig", 5)
        for i, a in enumerate(results):
            for b in results[i + 1 :]:
                assert a.chunk.path != b.chunk.path or (
                    a.chunk.end_line < b.chunk.start_line or b.chunk.end_line < a.chunk.start_line
                )
        data = json.loads(json.dumps([r.to_dict() for r in results]))
        assert {"score", "file", "start_line", "end_line", "kind", "text"} <= set(data[0])
        assert data == sorted(data, key=lambda d: -d["score"])


def test_unchanged_files_are_never_reembedded(tmp_path: Path, corpus: Path) -> None:
    with open_index(tmp_path / "idx") as index:
        first = index.update([corpus])
        gen = index.stats().generation
        again = index.update([corpus])
        assert again.embedded == 0 and again.generation is None
        assert index.stats().generation == gen  # nothing published

        (corpus / "sine.csd").write_text(SINE.replace("0.3, p4", "0.25, p4"))
        (corpus / "sub" / "reverb.orc").unlink()
        (corpus / "new.udo").write_text("opcode Twice, a, a\n ain xin\n xout ain*2\nendop\n")
        changed = index.update([corpus])
        assert changed.changes.changed == [str(corpus.resolve() / "sine.csd")]
        assert changed.changes.removed == [str(corpus.resolve() / "sub" / "reverb.orc")]
        assert changed.changes.added == [str(corpus.resolve() / "new.udo")]
        filter_chunks = [c for c in dense(index) if c.path.endswith("filter.csd")]
        assert changed.reused == len(filter_chunks)
        assert changed.embedded + changed.reused == len(dense(index))
        assert changed.chunks != first.chunks or changed.embedded < first.embedded
        assert not index.search("reverbsc", 5, mode="keyword")
        assert index.search("Twice", 1, mode="keyword")[0].chunk.kind == "udo"
        assert index.search("0.25", 5) is not None
        assert index.stats().files == 3


def test_update_of_one_folder_keeps_the_others(tmp_path: Path, corpus: Path) -> None:
    other = make_corpus(tmp_path / "other")
    with open_index(tmp_path / "idx") as index:
        index.update([corpus, other])
        assert index.stats().files == 6
        (other / "sine.csd").unlink()
        report = index.update([other])
        assert report.changes.removed == [str(other.resolve() / "sine.csd")]
        assert index.stats().files == 5
        index.update([other / "filter.csd"])  # a single file is a valid scope too
        assert index.stats().files == 5


def test_full_rebuild_and_embedder_change(tmp_path: Path, corpus: Path) -> None:
    with open_index(tmp_path / "idx") as index:
        index.update([corpus])
        full = index.update([corpus], full=True)
        assert full.embedded == len(dense(index))
    other = Index(tmp_path / "idx", HashingEmbedder(128), enricher=Enricher(SUMMARIES.get))
    with other:
        assert other.stats().stale_embedder
        # Still answers (keyword only) before the rebuild.
        assert other.search("moogladder", 1)[0].chunk.path.endswith("filter.csd")
        report = other.update([corpus])
        assert report.rebuilt and report.embedded == len(dense(other))
        assert other.stats().dimension == 128 and not other.stats().stale_embedder
    # Old generations are collected: only the published one and its predecessor remain.
    assert len(list((tmp_path / "idx").glob("gen-*"))) <= 2


def test_min_similarity_drops_weak_dense_hits(tmp_path: Path, corpus: Path) -> None:
    with open_index(tmp_path / "idx", min_similarity=0.99) as index:
        index.update([corpus])
        assert index.search("completely unrelated words here", 5, mode="dense") == []
        assert index.search("moogladder", 5)  # keyword hits survive


CHILD = textwrap.dedent(
    """
    import sys, time, json
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from tests.unit.test_retrieval_index import open_index
    from csound_assist.retrieval import HashingEmbedder
    root, corpus, signal_file = (Path(a) for a in sys.argv[1:4])
    mode = sys.argv[4]
    index = open_index(root)
    if mode == "search":
        hits = index.search("moogladder", 3)
        signal_file.write_text(json.dumps([h.chunk.path for h in hits]))
        # Hold the index open until told to stop, as an editor window would.
        deadline = time.monotonic() + 60
        while not (signal_file.parent / "stop").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        print(json.dumps([h.chunk.path for h in index.search("moogladder", 3)]))
    elif mode == "hang":
        def progress(stage, done, total):
            if stage == "embedding" and done > 0:
                signal_file.write_text("embedding")
                time.sleep(120)
        index.update([corpus], progress)
    """
)


def _child(tmp_path: Path, *args: str) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(Path(__file__).resolve().parents[2])))
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} not written in {timeout}s")
        time.sleep(0.05)


def test_two_processes_use_one_index(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "idx"
    with open_index(root) as index:
        index.update([corpus])
    first = _child(tmp_path, str(root), str(corpus), str(tmp_path / "a.json"), "search")
    _wait_for(tmp_path / "a.json", first)
    second = _child(tmp_path, str(root), str(corpus), str(tmp_path / "b.json"), "search")
    _wait_for(tmp_path / "b.json", second)
    # Meanwhile this process (a third user) updates the index while both hold it open.
    (corpus / "sine.csd").write_text(SINE + "\n; moogladder mentioned\n")
    with open_index(root) as index:
        assert index.update([corpus]).changes.changed
    (tmp_path / "stop").write_text("")
    for proc, name in ((first, "a.json"), (second, "b.json")):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        before = json.loads((tmp_path / name).read_text())
        after = json.loads(out)
        assert before and before[0].endswith("filter.csd")
        assert any(p.endswith("sine.csd") for p in after)  # picked up the new generation


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_build_leaves_the_previous_index_usable(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "idx"
    with open_index(root) as index:
        index.update([corpus])
        published = index.stats().generation
    (corpus / "extra.csd").write_text(FILTER.replace("Sweep", "Other"))
    child = _child(tmp_path, str(root), str(corpus), str(tmp_path / "hang"), "hang")
    _wait_for(tmp_path / "hang", child)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert list(root.glob(".build-*")), "the killed build should have left its folder behind"
    with open_index(root) as index:
        assert index.stats().generation == published
        assert index.search("moogladder", 1)[0].chunk.path.endswith("filter.csd")
        report = index.update([corpus])
        assert report.changes.added == [str(corpus.resolve() / "extra.csd")]
    assert not list(root.glob(".build-*"))
    assert not list(Path("/dev/shm").glob(f"csound-assist-build-{child.pid}-*"))
