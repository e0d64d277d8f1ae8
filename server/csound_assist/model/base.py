"""The backend interface every model runtime implements, and the errors it may raise.

A backend streams text. Cancellation is cooperative and immediate: closing the async iterator a
backend returned (or cancelling the task iterating it) stops generation at the source — the HTTP
stream is closed for Ollama, the token loop is broken for llama.cpp.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, runtime_checkable

from csound_assist.config import ParametersConfig

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Sampling:
    """Sampling options sent with every call. `num_ctx` is always explicit: runtimes' defaults
    (2048 in Ollama, 512 in llama.cpp) silently truncate our prompts."""

    temperature: float = 0.7
    top_p: float = 0.8
    top_k: int = 20
    repeat_penalty: float = 1.05
    num_ctx: int = 8192
    num_predict: int = 1024
    stop: tuple[str, ...] = ()
    seed: int | None = None

    @classmethod
    def from_config(cls, params: ParametersConfig) -> Sampling:
        return cls(
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=params.top_k,
            repeat_penalty=params.repeat_penalty,
            num_ctx=params.num_ctx,
            num_predict=params.num_predict,
        )

    def but(self, **changes: object) -> Sampling:
        return replace(self, **changes)  # type: ignore[arg-type]

    def ollama_options(self) -> dict[str, object]:
        opts: dict[str, object] = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "repeat_penalty": self.repeat_penalty,
            "num_ctx": self.num_ctx,
            "num_predict": self.num_predict,
        }
        if self.stop:
            opts["stop"] = list(self.stop)
        if self.seed is not None:
            opts["seed"] = self.seed
        return opts


@dataclass(frozen=True, slots=True)
class ModelInfo:
    backend: str  # "ollama" | "llama-cpp" | …
    name: str  # model tag or GGUF file name
    version: str = ""  # digest, file hash prefix — for comparing model versions in feedback
    native_fim: bool = False
    context_length: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


class ModelError(Exception):
    """Base of every model-layer failure; `str()` is a message fit to show the user."""


class BackendUnavailable(ModelError):
    """The runtime cannot be reached (connection refused, DNS, connect timeout)."""


class ModelNotFound(ModelError):
    """The runtime is up but lacks the model; the message says how to get it."""


class ModelTimeout(ModelError):
    """The model did not answer within its deadline (first token or idle read)."""


class FimUnsupported(ModelError):
    """The model cannot fill in the middle natively (Ollama: 'does not support insert')."""


@runtime_checkable
class Backend(Protocol):
    """One model runtime. Implementations must be safe to call from one event loop."""

    name: str

    async def info(self) -> ModelInfo: ...

    def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        """Stream the assistant's answer to `messages`, chunk by chunk."""
        ...

    def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        """Fill in between `prompt` and `suffix` (native FIM or a template) and stream it."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...

    async def preload(self) -> None:
        """Load the model ahead of the first request (editor start)."""
        ...

    async def aclose(self) -> None: ...
