"""Deadlines for streamed generation: a first-token deadline, then an idle-read deadline."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from csound_assist.model.base import ModelTimeout


async def with_deadlines(
    chunks: AsyncIterator[str],
    *,
    first: float,
    idle: float,
    total: float | None = None,
    what: str = "model",
) -> AsyncIterator[str]:
    """Re-yield `chunks`, raising ModelTimeout when the first chunk takes longer than `first`
    seconds, any later one longer than `idle`, or the whole stream longer than `total`.

    The source iterator is always closed on exit (normal end, timeout, or the consumer going
    away), which is what stops generation at the runtime.
    """
    started = time.monotonic()
    limit = first
    iterator = aiter(chunks)
    try:
        while True:
            budget = limit
            if total is not None:
                budget = min(budget, total - (time.monotonic() - started))
                if budget <= 0:
                    raise ModelTimeout(f"{what} exceeded its {total:g} s deadline")
            try:
                # asyncio.timeout keeps the read in this task (httpx streams are task-bound).
                async with asyncio.timeout(budget):
                    chunk = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if total is not None and time.monotonic() - started >= total - 1e-3:
                    raise ModelTimeout(f"{what} exceeded its {total:g} s deadline") from None
                state = "first token" if limit is first else "next token"
                raise ModelTimeout(f"{what}: no {state} within {budget:g} s") from None
            limit = idle
            yield chunk
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
