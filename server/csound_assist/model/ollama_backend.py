"""Ollama through the official `ollama` client, with an explicit timeout on every call.

The client's default timeout is none, so each call gets one here: a short connect timeout, a
total deadline for fill-in-the-middle, a first-token deadline for chat (a cold
model takes a while to load) and an idle-read deadline after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import ollama

from csound_assist.config import ModelConfig
from csound_assist.model.base import (
    BackendUnavailable,
    FimUnsupported,
    Message,
    ModelError,
    ModelInfo,
    ModelNotFound,
    ModelTimeout,
    Sampling,
)
from csound_assist.model.fim import FimTemplate, guess_template
from csound_assist.model.streaming import with_deadlines


def not_found_message(model: str, host: str) -> str:
    """One actionable message for a missing model: pull it, or build the fine-tuned one."""
    if "csound" in model.lower():
        return (
            f"Ollama at {host} has no model '{model}'. Build it from a fine-tuned run with "
            f"`python -m training export <run.yaml>` then `ollama create {model} -f Modelfile`, "
            "or set model.name to a pulled model (e.g. qwen2.5-coder:7b)."
        )
    return f"Ollama at {host} has no model '{model}'. Run `ollama pull {model}` and retry."


def unreachable_message(host: str) -> str:
    return (
        f"Ollama is not reachable at {host}. Start it with `ollama serve`, set model.host, "
        'or set model.backend = "llama-cpp" with model.gguf_path to run a GGUF file in-process.'
    )


class OllamaBackend:
    name = "ollama"

    def __init__(self, config: ModelConfig, *, fim_template: FimTemplate | None = None) -> None:
        self.config = config
        self.host = config.host.rstrip("/")
        self.chat_model = config.name
        self.completion_model = config.completion_name or config.name
        self._fim_template = fim_template or guess_template(self.completion_model)
        self._native_fim: bool | None = None
        connect = config.connect_timeout
        # Short calls (show, FIM, embed): every read is bounded by the FIM deadline.
        self._fast = ollama.AsyncClient(
            host=self.host, timeout=httpx.Timeout(config.fim_timeout, connect=connect)
        )
        # Streams: a read may wait for the first token of a cold model; idle reads are bounded
        # tighter by `with_deadlines`.
        self._slow = ollama.AsyncClient(
            host=self.host,
            timeout=httpx.Timeout(
                max(config.first_token_timeout, config.idle_timeout), connect=connect
            ),
        )

    # -- errors -------------------------------------------------------------------------------

    def _translate(self, exc: BaseException, model: str) -> ModelError:
        if isinstance(exc, ModelError):
            return exc
        if isinstance(exc, ollama.ResponseError):
            text = exc.error or ""
            if exc.status_code == 404 or "not found" in text.lower():
                return ModelNotFound(not_found_message(model, self.host))
            if "does not support insert" in text:
                return FimUnsupported(text)
            return ModelError(f"Ollama error ({exc.status_code}): {text}")
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            return ModelTimeout(f"Ollama at {self.host} timed out: {type(exc).__name__}")
        if isinstance(exc, ConnectionError | httpx.TransportError):
            return BackendUnavailable(unreachable_message(self.host))
        return ModelError(f"Ollama call failed: {exc}")

    async def _call(self, model: str, coro: Any) -> Any:
        try:
            return await coro
        except Exception as exc:  # noqa: BLE001 — every failure becomes a ModelError
            raise self._translate(exc, model) from exc

    async def _stream(self, model: str, start: Any, field: str) -> AsyncIterator[str]:
        """Iterate an ollama stream; `field` picks the text out of each part."""
        try:
            parts = await start
            async for part in parts:
                text = part.message.content if field == "message" else part.response
                if text:
                    yield text
        except GeneratorExit:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, model) from exc

    # -- interface ----------------------------------------------------------------------------

    async def reachable(self) -> bool:
        try:
            await self._fast.ps()
        except Exception:  # noqa: BLE001 — any failure means "not usable now"
            return False
        return True

    async def show(self, model: str) -> dict[str, Any]:
        response = await self._call(model, self._fast.show(model))
        return response.model_dump() if hasattr(response, "model_dump") else dict(response)

    async def native_fim(self) -> bool:
        """Whether the completion model lists the `insert` capability (fills `suffix` itself)."""
        if self._native_fim is None:
            shown = await self.show(self.completion_model)
            self._native_fim = "insert" in (shown.get("capabilities") or [])
        return self._native_fim

    async def info(self) -> ModelInfo:
        shown = await self.show(self.chat_model)
        details = shown.get("details") or {}
        model_info = shown.get("modelinfo") or shown.get("model_info") or {}
        ctx = next((v for k, v in model_info.items() if k.endswith(".context_length")), None)
        return ModelInfo(
            backend=self.name,
            name=self.chat_model,
            version=str(shown.get("modified_at") or details.get("parent_model") or ""),
            native_fim="insert" in (shown.get("capabilities") or []),
            context_length=int(ctx) if ctx else None,
            extra={"host": self.host, "quantization": str(details.get("quantization_level", ""))},
        )

    def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        start = self._slow.chat(
            model=self.chat_model,
            messages=[m.as_dict() for m in messages],
            stream=True,
            options=sampling.ollama_options(),
            keep_alive=self.config.keep_alive,
        )
        return with_deadlines(
            self._stream(self.chat_model, start, "message"),
            first=self.config.first_token_timeout,
            idle=self.config.idle_timeout,
            what=f"Ollama model {self.chat_model}",
        )

    def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        return with_deadlines(
            self._complete(prompt, suffix, sampling),
            first=self.config.fim_timeout,
            idle=self.config.fim_timeout,
            total=self.config.fim_timeout,
            what=f"Ollama completion with {self.completion_model}",
        )

    async def _complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        model = self.completion_model
        if await self.native_fim():
            try:
                start = self._fast.generate(
                    model=model,
                    prompt=prompt,
                    suffix=suffix,
                    stream=True,
                    options=sampling.ollama_options(),
                    keep_alive=self.config.keep_alive,
                )
                async for chunk in self._stream(model, start, "response"):
                    yield chunk
                return
            except FimUnsupported:
                # The model's template lost its suffix support (e.g. re-created): use raw FIM.
                self._native_fim = False
        template = self._fim_template
        options = sampling.but(stop=tuple(sampling.stop) + template.stops).ollama_options()
        start = self._fast.generate(
            model=model,
            prompt=template.render(prompt, suffix),
            raw=True,
            stream=True,
            options=options,
            keep_alive=self.config.keep_alive,
        )
        async for chunk in self._stream(model, start, "response"):
            yield chunk

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        model = self.config.embedding_name
        response = await self._call(
            model,
            self._fast.embed(model=model, input=list(texts), keep_alive=self.config.keep_alive),
        )
        return [list(map(float, v)) for v in response.embeddings]

    async def preload(self) -> None:
        """An empty chat loads the model (Ollama answers done_reason "load")."""
        for model in dict.fromkeys((self.chat_model, self.completion_model)):
            await self._call(
                model,
                self._slow.chat(model=model, messages=[], keep_alive=self.config.keep_alive),
            )

    async def aclose(self) -> None:
        for client in (self._fast, self._slow):
            await client.close()
