"""The OpenAI-compatible backend's protocol edges on a local HTTP server (pytest-httpserver):
SSE framing, the model id it resolves, and what the user reads when the server refuses."""

from __future__ import annotations

import json

import pytest

from csound_assist.config import ModelConfig
from csound_assist.model import Message, ModelError, ModelNotFound, Sampling
from csound_assist.model.openai_backend import OpenAIBackend


def sse(*events: object) -> str:
    return "".join(f"data: {json.dumps(e) if not isinstance(e, str) else e}\n\n" for e in events)


def config(url: str, **kw: object) -> ModelConfig:
    return ModelConfig(openai_url=url.rstrip("/") + "/v1", **kw)  # type: ignore[arg-type]


@pytest.fixture
def models(httpserver):
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "qwen2.5-coder-1.5b"}]}
    )
    return httpserver


async def test_chat_reads_deltas_skips_noise_and_stops_at_done(models):
    body = sse(
        {"choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "instr"}}]},
        "not json",
        {"choices": []},
        {"choices": [{"delta": {"content": " 1"}}]},
        "[DONE]",
        {"choices": [{"delta": {"content": "after done"}}]},
    )
    models.expect_request("/v1/chat/completions", method="POST").respond_with_data(
        ": keep-alive\n\n" + body, content_type="text/event-stream"
    )
    backend = OpenAIBackend(config(models.url_for("/")))
    text = "".join([c async for c in backend.chat([Message("user", "hi")], Sampling())])
    assert text == "instr 1"
    sent = json.loads(models.log[-1][0].data)
    # model.name (an Ollama tag) is not listed: the server's own model is asked for.
    assert sent["model"] == "qwen2.5-coder-1.5b" and sent["stream"] is True
    assert sent["max_tokens"] == Sampling().num_predict and sent["top_k"] == 20
    await backend.aclose()


async def test_completion_sends_the_fim_template_of_the_model(models):
    models.expect_request("/v1/completions", method="POST").respond_with_data(
        sse({"choices": [{"text": "oscili"}]}, "[DONE]"), content_type="text/event-stream"
    )
    backend = OpenAIBackend(config(models.url_for("/")))
    text = "".join([c async for c in backend.complete("a1 ", "\nendin", Sampling())])
    sent = json.loads(models.log[-1][0].data)
    assert text == "oscili"
    assert sent["prompt"] == "<|fim_prefix|>a1 <|fim_suffix|>\nendin<|fim_middle|>"
    assert "<|endoftext|>" in sent["stop"] and len(sent["stop"]) <= 4
    await backend.aclose()


async def test_a_refused_key_says_which_variable_to_set(httpserver):
    httpserver.expect_request("/v1/models").respond_with_json(
        {"error": {"message": "invalid api key"}}, status=401
    )
    backend = OpenAIBackend(config(httpserver.url_for("/"), openai_api_key_env="MY_KEY"))
    with pytest.raises(ModelError, match=r"\$MY_KEY.*invalid api key"):
        await backend.info()
    await backend.aclose()


async def test_the_key_is_sent_from_the_environment(httpserver, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sekrit")
    httpserver.expect_request(
        "/v1/models", headers={"Authorization": "Bearer sekrit"}
    ).respond_with_json({"data": [{"id": "m"}]})
    backend = OpenAIBackend(config(httpserver.url_for("/"), openai_api_key_env="MY_KEY"))
    assert (await backend.info()).name == "m"
    await backend.aclose()


async def test_an_unknown_model_and_a_server_error(models):
    models.expect_request("/v1/chat/completions").respond_with_json(
        {"error": {"message": "model gone"}}, status=404
    )
    backend = OpenAIBackend(config(models.url_for("/")))
    with pytest.raises(ModelNotFound, match="model gone"):
        async for _ in backend.chat([Message("user", "hi")], Sampling()):
            pass
    await backend.aclose()
