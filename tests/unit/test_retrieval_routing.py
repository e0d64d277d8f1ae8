"""Opcode routing and the in-memory dense search of local Qdrant storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from csound_assist.retrieval.routing import OpcodeRouter
from csound_assist.retrieval.store import VectorStore
from csound_assist.retrieval.types import Chunk

SUMMARIES = {
    "moogladder": "Moog ladder lowpass filter.",
    "oscili": "A simple oscillator with linear interpolation.",
    "vco2": "Implementation of a band-limited oscillator using pre-calculated tables.",
    "reverbsc": "8 delay line stereo FDN reverb.",
    "outs": "Writes stereo audio data to an external device or stream.",
}


def chunk(name: str, *opcodes: str) -> Chunk:
    return Chunk(
        id=f"{name}.csd#file",
        path=f"{name}.csd",
        kind="file",
        text="",
        start_line=1,
        end_line=1,
        opcodes=opcodes,
    )


def test_router_prefers_the_chunk_that_features_the_opcode() -> None:
    chunks = [
        chunk("big", "oscili", "vco2", "reverbsc", "moogladder", "outs"),
        chunk("demo", "vco2", "moogladder", "outs"),
        chunk("sine", "oscili", "outs"),
    ]
    router = OpcodeRouter(chunks, SUMMARIES.get)
    assert router.search("a lowpass filter modelled on the Moog ladder", 5)[:2] == [1, 0]
    assert router.search("stereo reverb", 1) == [0]
    # `outs` is everywhere: routing ignores it, so its summary leads nowhere.
    assert "outs" not in router.opcodes
    assert router.search("zzz unknown words", 5) == []
    assert OpcodeRouter([], SUMMARIES.get).search("filter", 5) == []


def test_local_search_in_memory_matches_qdrant(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    ids = [f"c{i}" for i in range(len(vectors))]
    store = VectorStore.open_local(tmp_path / "q")
    try:
        store.create(16)
        store.upsert(ids, vectors)
        query = rng.normal(size=16).astype(np.float32)
        fast = store.search(query, 10)
        response = store._client.query_points(store.collection, query=query.tolist(), limit=10)
        assert [cid for cid, _ in fast] == [ids_by_point(store, p.id) for p in response.points]
        assert np.allclose([s for _, s in fast], [p.score for p in response.points], atol=1e-5)
        # A write drops the cached matrix: the deleted best hit is gone at once.
        store.delete([fast[0][0]])
        assert store.search(query, 1)[0][0] == fast[1][0]
        assert store.search(query, 0) == []
    finally:
        store.close()


def ids_by_point(store: VectorStore, point: str) -> str:
    record = store._client.retrieve(store.collection, ids=[point], with_payload=True)[0]
    return record.payload["chunk_id"]
