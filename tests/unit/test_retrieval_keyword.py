"""BM25 keyword index, both backends, through save/load."""

from __future__ import annotations

from pathlib import Path

import pytest

from csound_assist.retrieval.keyword import BACKENDS, KeywordIndex

DOCS = [
    "instr 1\n asig moogladder ain, kcf, kres\n outs asig, asig\nendin",
    "instr 2\n asig oscili 0.5, 440\n outs asig, asig\nendin",
    "f 1 0 16384 10 1 ; a sine table",
    "",
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_ranks_the_matching_document_first(backend: str, tmp_path: Path) -> None:
    index = KeywordIndex.build(DOCS, backend)
    assert index.search("moogladder filter", 3)[0][0] == 0
    assert index.search("oscili", 3)[0][0] == 1
    assert index.search("nothing-like-this", 3) == []
    assert index.search("", 3) == []
    index.save(tmp_path / backend)
    loaded = KeywordIndex.load(tmp_path / backend)
    assert loaded.search("sine table", 2)[0][0] == 2
    assert loaded.backend == backend and loaded.size == len(DOCS)


def test_empty_corpus_and_bad_backend(tmp_path: Path) -> None:
    empty = KeywordIndex.build([])
    assert empty.search("anything", 5) == []
    empty.save(tmp_path / "e")
    assert KeywordIndex.load(tmp_path / "e").search("x", 1) == []
    with pytest.raises(ValueError, match="unknown BM25 backend"):
        KeywordIndex("lucene")
