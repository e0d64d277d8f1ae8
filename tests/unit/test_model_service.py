"""ModelService health: answer empty while down, one message, reconnect with growing backoff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from csound_assist.config import Config
from csound_assist.model import BackendUnavailable, Message, ModelService, Sampling
from csound_assist.model import service as service_module
from tests.helpers import FakeBackend


class Flaky(FakeBackend):
    """Unreachable until `up` is set; counts calls and probes."""

    name = "flaky"

    def __init__(self) -> None:
        self.up = False
        self.calls = 0
        self.probes = 0

    async def reachable(self) -> bool:
        self.probes += 1
        return self.up

    async def chat(self, messages, sampling: Sampling) -> AsyncIterator[str]:
        self.calls += 1
        if not self.up:
            raise BackendUnavailable("Ollama is not reachable at http://x")
        yield "hello"

    async def complete(self, prompt, suffix, sampling) -> AsyncIterator[str]:
        self.calls += 1
        if not self.up:
            raise BackendUnavailable("Ollama is not reachable at http://x")
        yield "x"


async def test_down_answers_empty_without_calling_then_reconnects(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(service_module, "BACKOFF_START", 0.05)
    told: list[str] = []
    backend = Flaky()
    service = ModelService(Config(), notify=told.append, backend=backend)
    hi = [Message("user", "hi")]
    assert await service.chat_text(hi) == ""
    assert not service.available and backend.calls == 1
    for _ in range(5):
        assert await service.chat_text(hi) == ""
    assert backend.calls == 1  # while down, nothing reaches the backend
    backend.up = True
    for _ in range(1000):  # the probe's next try comes after the current backoff
        if service.available:
            break
        await asyncio.sleep(0.01)
    assert service.available and backend.probes >= 1
    assert await service.chat_text(hi) == "hello"
    assert told == ["Ollama is not reachable at http://x"]
    await service.aclose()


async def test_backoff_doubles_while_probes_fail(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(service_module, "BACKOFF_START", 0.02)
    backend = Flaky()
    service = ModelService(Config(), backend=backend)
    assert await service.chat_text([Message("user", "hi")]) == ""
    for _ in range(1000):
        if backend.probes >= 3:
            break
        await asyncio.sleep(0.01)
    assert backend.probes >= 3
    assert service._backoff >= 0.02 * 2**3  # noqa: SLF001 — the schedule is the behaviour under test
    await service.aclose()


async def test_sampling_defaults_come_from_config():
    config = Config()
    config.parameters.num_ctx = 4096
    sampling = ModelService(config, backend=Flaky()).sampling(num_predict=7)
    assert (sampling.temperature, sampling.top_p, sampling.top_k, sampling.repeat_penalty) == (
        0.7,
        0.8,
        20,
        1.05,
    )
    assert sampling.num_ctx == 4096 and sampling.num_predict == 7
    assert sampling.ollama_options()["num_ctx"] == 4096
