"""Embedders: hashing (deterministic), Ollama against a replayed /api/embed, bundled MiniLM."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from csound_assist.retrieval.embedders import (
    MINILM_SHA256,
    EmbedderError,
    HashingEmbedder,
    MiniLMEmbedder,
    OllamaEmbedder,
    minilm_model_dir,
    verify_minilm_weights,
)


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    emb = HashingEmbedder(64)
    rows = emb.embed_documents(["asig moogladder ain, kcf", "asig moogladder ain, kcf", "oscili"])
    assert rows.shape == (3, 64) and rows.dtype == np.float32
    assert np.allclose(rows[0], rows[1])
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    assert rows[0] @ emb.embed_query("moogladder kcf") > rows[2] @ emb.embed_query("moogladder kcf")
    assert emb.embed_documents([]).shape == (0, 64)
    assert emb.name == "hash-64"


def _embed_handler(dim: int, seen: list[dict]):
    """Answers like Ollama's /api/embed: one vector per input, plus timing fields."""

    def handler(request: Request) -> Response:
        body = json.loads(request.data)
        seen.append(body)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = [[float((len(t) + i) % 7) + 0.5 for i in range(dim)] for t in inputs]
        payload = {
            "model": body["model"],
            "embeddings": vectors,
            "total_duration": 14143917,
            "load_duration": 1019500,
            "prompt_eval_count": 8 * len(inputs),
        }
        return Response(json.dumps(payload), content_type="application/json")

    return handler


def test_ollama_embedder_prefixes_batches_and_normalises(httpserver: HTTPServer) -> None:
    seen: list[dict] = []
    httpserver.expect_request("/api/embed", method="POST").respond_with_handler(
        _embed_handler(768, seen)
    )
    emb = OllamaEmbedder("nomic-embed-text", httpserver.url_for("/"), batch_size=2)
    rows = emb.embed_documents(["instr 1", "instr 2", "instr 3"])
    assert rows.shape == (3, 768)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    assert [len(b["input"]) for b in seen] == [2, 1]
    assert all(t.startswith("search_document: ") for b in seen for t in b["input"])
    assert seen[0]["model"] == "nomic-embed-text" and seen[0]["truncate"] is True
    query = emb.embed_query("a lowpass filter")
    assert query.shape == (768,)
    assert seen[-1]["input"] == ["search_query: a lowpass filter"]
    assert emb.dimension == 768 and emb.name == "ollama:nomic-embed-text"


def test_ollama_missing_model_says_how_to_get_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/embed", method="POST").respond_with_json(
        {"error": 'model "nomic-embed-text" not found, try pulling it first'}, status=404
    )
    emb = OllamaEmbedder("nomic-embed-text", httpserver.url_for("/"))
    with pytest.raises(EmbedderError, match="ollama pull nomic-embed-text"):
        emb.embed_query("x")


def test_ollama_unreachable_is_a_clear_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    emb = OllamaEmbedder(host=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(EmbedderError, match="not reachable"):
        emb.embed_documents(["x"])


def test_minilm_weights_are_the_published_ones(tmp_path: Path) -> None:
    assert MINILM_SHA256.startswith("53aa5117") and MINILM_SHA256.endswith("128d9db")
    model_dir = minilm_model_dir()
    cache = tmp_path / "verified.json"
    assert verify_minilm_weights(model_dir, cache) == MINILM_SHA256
    assert json.loads(cache.read_text())["sha256"] == MINILM_SHA256
    assert verify_minilm_weights(model_dir, cache) == MINILM_SHA256  # cached verdict


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model"
    fake.mkdir()
    (fake / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(EmbedderError, match="not the published all-MiniLM-L6-v2"):
        MiniLMEmbedder(fake).embed_query("x")
    with pytest.raises(EmbedderError, match="missing"):
        verify_minilm_weights(tmp_path / "nowhere")


@pytest.mark.slow
def test_minilm_embeds_offline_and_ranks_by_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    # Any attempt to reach a hub would fail loudly rather than hang.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    emb = MiniLMEmbedder()
    docs = emb.embed_documents(["a resonant low-pass filter", "a drum loop sampler", ""])
    assert docs.shape == (3, 384)
    q = emb.embed_query("lowpass filter with resonance")
    assert q @ docs[0] > q @ docs[1]
    assert np.allclose(np.linalg.norm(docs[:2], axis=1), 1.0, atol=1e-4)
