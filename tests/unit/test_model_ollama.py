"""The Ollama backend against a local HTTP server replaying Ollama's real API shapes:
streamed NDJSON chat, generate with suffix, raw FIM, embed, show capabilities, 404 missing model,
400 "does not support insert", connection refused, and a slow stream cancelled mid-way."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable

import pytest
from werkzeug import Request, Response

from csound_assist.config import Config, ModelConfig
from csound_assist.model import (
    BackendUnavailable,
    Message,
    ModelNotFound,
    ModelService,
    ModelTimeout,
    Sampling,
)
from csound_assist.model.ollama_backend import OllamaBackend
from tests.helpers import free_port

T0 = "2025-01-06T10:00:00.000000Z"


def ndjson(parts: list[dict]) -> str:
    return "".join(json.dumps(p) + "\n" for p in parts)


def chat_parts(model: str, words: list[str]) -> list[dict]:
    parts = [
        {
            "model": model,
            "created_at": T0,
            "message": {"role": "assistant", "content": w},
            "done": False,
        }
        for w in words
    ]
    parts.append(
        {
            "model": model,
            "created_at": T0,
            "message": {"role": "assistant", "content": ""},
            "done_reason": "stop",
            "done": True,
            "total_duration": 1,
            "load_duration": 1,
            "prompt_eval_count": 3,
            "prompt_eval_duration": 1,
            "eval_count": len(words),
            "eval_duration": 1,
        }
    )
    return parts


def generate_parts(model: str, words: list[str]) -> list[dict]:
    parts = [{"model": model, "created_at": T0, "response": w, "done": False} for w in words]
    parts.append(
        {
            "model": model,
            "created_at": T0,
            "response": "",
            "done": True,
            "done_reason": "stop",
            "total_duration": 1,
            "eval_count": len(words),
        }
    )
    return parts


def show_body(capabilities: list[str]) -> dict:
    return {
        "modelfile": "FROM /models/blobs/sha256-abc\n",
        "parameters": 'stop "<|endoftext|>"',
        "template": "{{ .Prompt }}",
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "qwen2",
            "families": ["qwen2"],
            "parameter_size": "7.6B",
            "quantization_level": "Q4_K_M",
        },
        "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
        "capabilities": capabilities,
        "modified_at": "2025-01-05T10:00:00Z",
    }


def config_for(url: str, **model: object) -> Config:
    config = Config()
    fields = {"host": url, "name": "qwen2.5-coder:7b", **model}
    config.model = ModelConfig(**fields)  # type: ignore[arg-type]
    config.model.backend = "ollama"
    return config


Handler = Callable[[Request], Response]


def slow_stream(parts: list[dict]) -> tuple[Handler, list[int], threading.Event]:
    """A handler streaming `parts` one per 50 ms; the indices it sent, and an event set when the
    stream stops (finished, or closed by the client)."""
    sent: list[int] = []
    closed = threading.Event()

    def handler(request: Request) -> Response:
        def body():
            try:
                for i, part in enumerate(parts):
                    sent.append(i)
                    yield json.dumps(part) + "\n"
                    time.sleep(0.05)
            finally:
                closed.set()

        return Response(body(), content_type="application/x-ndjson")

    return handler, sent, closed


async def collect(stream) -> str:
    return "".join([c async for c in stream])


async def test_streamed_chat_sends_options_and_yields_tokens(httpserver):
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        seen.append(request.get_json())
        body = ndjson(chat_parts("qwen2.5-coder:7b", ["Use ", "moog", "ladder."]))
        return Response(body, content_type="application/x-ndjson")

    httpserver.expect_request("/api/chat", method="POST").respond_with_handler(handler)
    backend = OllamaBackend(config_for(httpserver.url_for("/")).model)
    sampling = Sampling.from_config(Config().parameters)
    chunks = [c async for c in backend.chat([Message("user", "filter?")], sampling)]
    await backend.aclose()
    assert chunks == ["Use ", "moog", "ladder."]
    request = seen[0]
    assert request["stream"] is True and request["keep_alive"] == "10m"
    assert request["messages"] == [{"role": "user", "content": "filter?"}]
    assert request["options"] == {
        "temperature": 0.7,
        "top_p": 0.8,
        "top_k": 20,
        "repeat_penalty": 1.05,
        "num_ctx": 8192,
        "num_predict": 1024,
    }


async def test_fim_uses_suffix_when_model_lists_insert(httpserver):
    seen: list[dict] = []

    def generate(request: Request) -> Response:
        seen.append(request.get_json())
        return Response(
            ndjson(generate_parts("m", ["oscili", " 0.5"])), content_type="application/x-ndjson"
        )

    httpserver.expect_request("/api/show").respond_with_json(show_body(["completion", "insert"]))
    httpserver.expect_request("/api/generate").respond_with_handler(generate)
    backend = OllamaBackend(config_for(httpserver.url_for("/")).model)
    text = await collect(backend.complete("asig ", "\nendin", Sampling(num_predict=32)))
    info = await backend.info()
    await backend.aclose()
    assert text == "oscili 0.5"
    assert seen[0]["prompt"] == "asig " and seen[0]["suffix"] == "\nendin"
    assert not seen[0].get("raw")
    assert info.native_fim and info.context_length == 32768


async def test_fim_falls_back_to_raw_template_on_400_does_not_support_insert(httpserver):
    seen: list[dict] = []

    def generate(request: Request) -> Response:
        body = request.get_json()
        seen.append(body)
        if body.get("suffix"):
            error = {"error": "registry.ollama.ai/library/qwen2.5-coder:7b does not support insert"}
            return Response(json.dumps(error), status=400, content_type="application/json")
        return Response(ndjson(generate_parts("m", ["vco2"])), content_type="application/x-ndjson")

    # A stale capability list: show says insert, generate refuses it.
    httpserver.expect_request("/api/show").respond_with_json(show_body(["completion", "insert"]))
    httpserver.expect_request("/api/generate").respond_with_handler(generate)
    backend = OllamaBackend(config_for(httpserver.url_for("/")).model)
    text = await collect(backend.complete("asig ", "\nendin", Sampling()))
    await backend.aclose()
    assert text == "vco2"
    assert seen[-1]["raw"] is True
    assert seen[-1]["prompt"] == "<|fim_prefix|>asig <|fim_suffix|>\nendin<|fim_middle|>"
    assert "<|endoftext|>" in seen[-1]["options"]["stop"]


async def test_fim_without_insert_capability_uses_template(httpserver):
    seen: list[dict] = []

    def generate(request: Request) -> Response:
        seen.append(request.get_json())
        return Response(ndjson(generate_parts("m", ["x"])), content_type="application/x-ndjson")

    httpserver.expect_request("/api/show").respond_with_json(show_body(["completion"]))
    httpserver.expect_request("/api/generate").respond_with_handler(generate)
    backend = OllamaBackend(config_for(httpserver.url_for("/")).model)
    await collect(backend.complete("a", "b", Sampling()))
    await backend.aclose()
    assert len(seen) == 1 and seen[0]["raw"] is True and "suffix" not in seen[0]


async def test_embed(httpserver):
    httpserver.expect_request("/api/embed", method="POST").respond_with_json(
        {
            "model": "nomic-embed-text",
            "embeddings": [[0.1, -0.2], [0.3, 0.4]],
            "total_duration": 14143917,
            "load_duration": 1019500,
            "prompt_eval_count": 8,
        }
    )
    backend = OllamaBackend(config_for(httpserver.url_for("/")).model)
    vectors = await backend.embed(["a", "b"])
    await backend.aclose()
    assert vectors == [[0.1, -0.2], [0.3, 0.4]]
    assert httpserver.log[0][0].get_json()["input"] == ["a", "b"]


async def test_missing_model_gives_one_actionable_message(httpserver):
    httpserver.expect_request("/api/chat").respond_with_json(
        {"error": 'model "qwen2.5-coder:7b" not found, try pulling it first'}, status=404
    )
    backend = OllamaBackend(config_for(httpserver.url_for("/")).model)
    with pytest.raises(ModelNotFound, match=r"ollama pull qwen2.5-coder:7b"):
        await collect(backend.chat([Message("user", "hi")], Sampling()))

    messages: list[str] = []
    service = ModelService(
        config_for(httpserver.url_for("/")), notify=messages.append, backend=backend
    )
    for _ in range(3):
        assert await service.chat_text([Message("user", "hi")]) == ""
    await service.aclose()
    assert len(messages) == 1 and "ollama pull qwen2.5-coder:7b" in messages[0]


async def test_fine_tuned_model_missing_says_how_to_create_it(httpserver):
    httpserver.expect_request("/api/show").respond_with_json(
        {"error": "model not found"}, status=404
    )
    backend = OllamaBackend(config_for(httpserver.url_for("/"), name="csound-coder").model)
    with pytest.raises(ModelNotFound, match="ollama create csound-coder"):
        await backend.info()
    await backend.aclose()


async def test_connection_refused_answers_empty_fast_and_tells_once():
    url = f"http://127.0.0.1:{free_port()}"
    backend = OllamaBackend(config_for(url).model)
    with pytest.raises(BackendUnavailable, match="ollama serve"):
        await collect(backend.chat([Message("user", "hi")], Sampling()))

    messages: list[str] = []
    service = ModelService(config_for(url), notify=messages.append, backend=backend)
    assert await service.chat_text([Message("user", "hi")]) == ""
    assert not service.available  # marked down: later calls do not touch the network
    assert await service.chat_text([Message("user", "again")]) == ""
    assert await collect(service.complete("a", "b", Sampling())) == ""
    assert service.failures == 1
    assert len(messages) == 1 and "not reachable" in messages[0]
    await service.aclose()


async def test_auto_backend_falls_back_to_gguf_when_ollama_is_down(tmp_path):
    from csound_assist.model import select_backend

    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    config = config_for(f"http://127.0.0.1:{free_port()}", gguf_path=str(gguf))
    config.model.backend = "auto"
    backend = await select_backend(config)
    assert backend.name == "llama-cpp"


async def test_slow_stream_cancelled_midway_closes_the_connection(httpserver):
    total = 50
    handler, sent, closed = slow_stream(chat_parts("m", [f"t{i} " for i in range(total)]))
    httpserver.expect_request("/api/chat").respond_with_handler(handler)
    backend = OllamaBackend(config_for(httpserver.url_for("/")).model)

    async def consume(got: list[str]) -> None:
        async for chunk in backend.chat([Message("user", "long")], Sampling()):
            got.append(chunk)

    got: list[str] = []
    task = asyncio.create_task(consume(got))
    while len(got) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await backend.aclose()
    assert await asyncio.to_thread(closed.wait, 10), "server stream was never closed"
    assert len(sent) < total  # the server stopped producing: the HTTP stream was closed


async def test_idle_timeout_after_first_token(httpserver):
    def handler(request: Request) -> Response:
        def body():
            yield json.dumps(chat_parts("m", ["first"])[0]) + "\n"
            time.sleep(1.5)
            yield json.dumps(chat_parts("m", ["late"])[0]) + "\n"

        return Response(body(), content_type="application/x-ndjson")

    httpserver.expect_request("/api/chat").respond_with_handler(handler)
    backend = OllamaBackend(config_for(httpserver.url_for("/"), idle_timeout=0.5).model)
    got: list[str] = []
    with pytest.raises(ModelTimeout, match="next token"):
        async for chunk in backend.chat([Message("user", "x")], Sampling()):
            got.append(chunk)
    await backend.aclose()
    assert got == ["first"]


async def test_superseded_inline_completion_closes_the_generate_stream(httpserver):
    from csound_assist.ai.complete import InlineCompleter

    total = 60
    handler, sent, closed = slow_stream(generate_parts("m", ["  a1 vco2 1, 110\n"] * total))
    httpserver.expect_request("/api/show").respond_with_json(show_body(["completion", "insert"]))
    httpserver.expect_request("/api/generate").respond_with_handler(handler)
    config = config_for(httpserver.url_for("/"), fim_timeout=30.0)
    service = ModelService(config)
    completer = InlineCompleter(service)
    text = "instr 1\n"
    task = asyncio.create_task(completer.complete(text, len(text)))
    while len(sent) < 3:
        await asyncio.sleep(0.01)
    task.cancel()  # a newer keystroke superseded this request
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(closed.wait, 10), "the generate stream was never closed"
    assert len(sent) < total
    await service.aclose()
