"""Inline completion (ghost text): context → FIM prompt → model stream → Csound-aware cut.

The engine is transport-free: the LSP feature calls `cached()` before its debounce and
`complete()` after it, and cancels the task when the request is superseded — cancelling closes the
model stream, which stops generation at the backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Container, Hashable, Sequence
from dataclasses import dataclass, field

from loguru import logger

from csound_assist.ai.cache import PrefixCache
from csound_assist.ai.context import CursorContext, cursor_context
from csound_assist.ai.postfilter import (
    MODEL_STOPS,
    defined_udos,
    finalize,
    repeats_suffix,
    stop_point,
    unknown_opcodes,
)
from csound_assist.model.service import ModelService
from csound_assist.prompts.templates import Source, fim_prompt

MAX_RIGHT_OF_CURSOR = 8  # no automatic trigger with more than this on the line after the cursor
# Ghost text should not change between two identical requests (at the chat temperature 0.7, five
# of eight cursors gave Qwen2.5-Coder different suggestions on two runs): near-greedy, fixed seed.
FIM_TEMPERATURE = 0.1
FIM_SEED = 0

Retriever = Callable[[str, int], Awaitable[Sequence[Source]]]


@dataclass(slots=True)
class Completion:
    text: str
    cached: bool = False
    overhead_ms: float = 0.0  # context, retrieval, prompt, post-filter — everything but the model
    model_ms: float = 0.0
    prompt_chars: int = 0
    raw: str = ""  # what the model wrote, before the post-filter
    dropped: str = ""  # why the post-filter dropped a non-empty suggestion


def why_dropped(
    raw: str, ctx: CursorContext, known_opcodes: Container[str] | None = None
) -> str:
    """In words, why `finalize` left nothing of a non-empty `raw` suggestion."""
    cut = stop_point(raw, ctx)
    kept = (raw[:cut] if cut is not None else raw).strip()
    if not kept:
        return "nothing was left after cutting it at the end of the line or block"
    if repeats_suffix(kept, ctx.suffix):
        return "it repeats the text after the cursor"
    if known_opcodes is not None and ctx.section == "orchestra":
        code = ctx.line_prefix + kept
        unknown = unknown_opcodes(code, known_opcodes, defined_udos(ctx.prefix + ctx.suffix))
        if unknown:
            return "it calls an opcode that does not exist: " + ", ".join(sorted(unknown))
    return "it only repeated what is already there"


def should_auto_trigger(ctx: CursorContext) -> bool:
    """Automatic (as-you-type) requests only where a suggestion can fit."""
    if len(ctx.line_suffix.strip()) > MAX_RIGHT_OF_CURSOR:
        return False
    return ctx.section in ("orchestra", "score")


class AdaptiveDebounce:
    """Typing fast → wait longer (the user is not looking yet); pausing → answer sooner."""

    def __init__(self, low_ms: float = 150, high_ms: float = 350) -> None:
        self.low, self.high = low_ms, high_ms
        self._last: float | None = None
        self._interval = high_ms

    def next_delay(self, now: float | None = None) -> float:
        """Record a keystroke at `now` (seconds) and return the delay in ms before requesting."""
        now = time.monotonic() if now is None else now
        if self._last is not None:
            gap = (now - self._last) * 1000
            self._interval = 0.7 * self._interval + 0.3 * min(gap, 1000)
        self._last = now
        # Fast typists (gaps < 150 ms) get the high end; slow ones the low end.
        span = self.high - self.low
        ratio = min(1.0, max(0.0, (self._interval - 100) / 400))
        return self.high - span * ratio


@dataclass
class RecentEdits:
    """The last few edited lines, as extra context. A line edited again (same `key`, e.g.
    (uri, line number)) replaces its older version, so typing a word leaves one entry."""

    size: int = 5
    _items: dict[Hashable, str] = field(default_factory=dict)

    def add(self, text: str, key: Hashable | None = None) -> None:
        text = text.strip()
        if not text:
            return
        key = text if key is None else key
        self._items.pop(key, None)
        self._items[key] = text
        while len(self._items) > self.size:
            del self._items[next(iter(self._items))]

    def items(self) -> list[str]:
        return list(dict.fromkeys(self._items.values()))


class InlineCompleter:
    def __init__(
        self,
        service: ModelService,
        *,
        known_opcodes: Container[str] | None = None,
        retriever: Retriever | None = None,
        cache_size: int = 256,
        retrieval_timeout: float = 0.05,
    ) -> None:
        self.service = service
        self.known_opcodes = known_opcodes
        self.retriever = retriever
        self.cache = PrefixCache(cache_size)
        self.recent = RecentEdits()
        self.retrieval_timeout = retrieval_timeout

    def cached(self, text: str, offset: int) -> Completion | None:
        """The cache's answer, computed from the raw text only (no context analysis)."""
        started = time.perf_counter()
        hit = self.cache.get(text[:offset], text[offset:])
        if hit is None:
            return None
        return Completion(hit, cached=True, overhead_ms=(time.perf_counter() - started) * 1000)

    async def warm(self) -> None:
        """Load what the first request would otherwise pay for (the keyword index)."""
        if self.retriever is None:
            return
        try:
            await self.retriever("instr outs", 1)
        except Exception as exc:  # noqa: BLE001
            logger.debug("retrieval warm-up failed: {}", exc)

    async def _snippets(self, ctx: CursorContext) -> list[Source]:
        if self.retriever is None:
            return []
        query = (ctx.block or ctx.prefix[-400:])[-400:]
        try:
            async with asyncio.timeout(self.retrieval_timeout):
                return list(await self.retriever(query, 2))
        except TimeoutError:
            return []
        except Exception as exc:  # noqa: BLE001 — completion works without retrieval
            logger.debug("retrieval for completion failed: {}", exc)
            return []

    async def complete(self, text: str, offset: int) -> Completion:
        """A suggestion for the cursor at `offset`, or an empty Completion."""
        t0 = time.perf_counter()
        ctx = cursor_context(text, offset)
        hit = self.cache.get(ctx.prefix, ctx.suffix)
        if hit is not None:
            return Completion(hit, cached=True, overhead_ms=(time.perf_counter() - t0) * 1000)
        snippets = await self._snippets(ctx)
        # Lines the user was editing at earlier requests (elsewhere in this or another file).
        recent = [r for r in self.recent.items() if r not in ctx.prefix and r not in ctx.suffix]
        self.recent.add(ctx.line_prefix + ctx.line_suffix)
        params = self.service.config.parameters
        prompt = fim_prompt(
            ctx.prefix,
            ctx.suffix,
            header=ctx.header,
            instrument=ctx.block,
            snippets=snippets,
            recent=recent,
            num_ctx=params.num_ctx,
        )
        sampling = self.service.sampling(
            num_predict=params.fim_num_predict,
            stop=MODEL_STOPS,
            temperature=min(params.temperature, FIM_TEMPERATURE),
            seed=FIM_SEED,
        )
        t1 = time.perf_counter()
        raw = ""
        stream = self.service.complete(prompt.prefix, prompt.suffix, sampling)
        try:
            async for chunk in stream:
                raw += chunk
                if stop_point(raw, ctx) is not None:
                    break  # the suggestion is complete: stop generating
        finally:
            await stream.aclose()
        t2 = time.perf_counter()
        suggestion = finalize(raw, ctx, self.known_opcodes)
        if suggestion:
            self.cache.put(ctx.prefix, ctx.suffix, suggestion)
        t3 = time.perf_counter()
        dropped = ""
        if raw.strip() and not suggestion:
            dropped = why_dropped(raw, ctx, self.known_opcodes)
        return Completion(
            suggestion,
            overhead_ms=((t1 - t0) + (t3 - t2)) * 1000,
            model_ms=(t2 - t1) * 1000,
            prompt_chars=len(prompt.prefix) + len(prompt.suffix),
            raw=raw,
            dropped=dropped,
        )
