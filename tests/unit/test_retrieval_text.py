"""Tokenizer, fusion and manifest: the pure pieces of retrieval."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csound_assist.retrieval.fusion import reciprocal_rank_fusion
from csound_assist.retrieval.manifest import FileEntry, Manifest, sha256_file
from csound_assist.retrieval.tokenize import tokenize


def test_tokenizer_keeps_csound_words_and_identifiers_whole() -> None:
    tokens = tokenize("if kenv > 0 then\n asig moogladder ain, kcf, 0.5 ; in and out\nendif")
    assert tokens[:3] == ["if", "kenv", "then"]
    for word in ("moogladder", "in", "and", "out", "endif"):
        assert word in tokens
    assert "0" not in tokens and "0.5" not in tokens  # numbers carry no meaning across files


def test_tokenizer_adds_parts_of_compound_identifiers() -> None:
    assert tokenize("gkCutoffFreq") == ["gkcutofffreq", "gk", "cutoff", "freq"]
    assert tokenize("mp3_in") == ["mp3_in", "mp3", "in"]
    assert tokenize("0dbfs GEN10") == ["0dbfs", "dbfs", "gen10"]


@given(st.text())
def test_tokenizer_never_fails_and_lowercases(text: str) -> None:
    for token in tokenize(text):
        assert token == token.lower() and token


def test_rrf_orders_by_weighted_reciprocal_rank() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "keyword": ["c", "a"]}, k=60)
    assert [item for item, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_rrf_weights_change_the_winner_and_zero_weight_ignores_a_source() -> None:
    rankings = {"dense": ["a", "b"], "keyword": ["b", "a"]}
    assert reciprocal_rank_fusion(rankings, weights={"keyword": 2.0})[0][0] == "b"
    only_dense = reciprocal_rank_fusion(rankings, weights={"keyword": 0.0})
    assert [i for i, _ in only_dense] == ["a", "b"]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion(rankings, k=0)


def test_manifest_diff_and_round_trip(tmp_path: Path) -> None:
    f = tmp_path / "a.csd"
    f.write_text("instr 1\nendin\n")
    digest = sha256_file(f)
    manifest = Manifest(
        {
            "/x/a.csd": FileEntry(digest, ["/x/a.csd#instr:1"]),
            "/x/b.csd": FileEntry("old", []),
            "/x/c.csd": FileEntry("c", []),
        }
    )
    changes = manifest.diff({"/x/a.csd": digest, "/x/b.csd": "new", "/x/d.csd": "d"})
    assert changes.unchanged == ["/x/a.csd"]
    assert changes.changed == ["/x/b.csd"]
    assert changes.added == ["/x/d.csd"]
    assert changes.removed == ["/x/c.csd"]
    assert changes.to_index == ["/x/d.csd", "/x/b.csd"]
    manifest.save(tmp_path / "m.json")
    assert Manifest.load(tmp_path / "m.json") == manifest
    assert not Manifest().diff({})
