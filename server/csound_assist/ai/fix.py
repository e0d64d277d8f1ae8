"""Fix with AI: a model-written edit that is offered only after it compiled in a scratch copy.

The region sent to the model is the instrument/UDO holding the error line (else the whole file);
its answer replaces that region in a copy of the document, the copy is compiled, and a failure is
fed back — the first error, its line and that line's text — for up to three repair rounds. An
answer equal to an earlier one is not compiled again; the next request samples differently. An
unverified fix is never returned as ok. It covers what no deterministic fix repairs: unbalanced
parentheses, undefined variables, wrong arguments.

`FixJobs` runs these in the background for the editor, so "Fix with AI" can be offered as a real
edit once (and only once) it has compiled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from csound_assist.ai.context import block_region
from csound_assist.ai.extract import extract_code
from csound_assist.ai.grounding import opcode_docs
from csound_assist.ai.verify import CompileError, CompileResult, repair_hint
from csound_assist.model.base import Message, Sampling
from csound_assist.model.service import ModelService
from csound_assist.prompts.templates import debug_messages, repair_message

MAX_REPAIRS = 3
Check = Callable[[str], Awaitable[CompileResult]]


@dataclass(slots=True)
class FixResult:
    ok: bool
    start: int = 0  # region replaced, as offsets into the original text
    end: int = 0
    replacement: str = ""
    fixed_text: str = ""
    rounds: int = 0
    error: str = ""
    original: str = ""  # the region as it was


def error_region(text: str, line: int | None) -> tuple[int, int]:
    """Offsets of the instr/opcode block containing 0-based `line`, else of the whole text."""
    return block_region(text, line)


def _first_error(text: str, error: str, line: int | None) -> str:
    """The editor's diagnostic as the compile loop words it: message, line, that line's text."""
    if line is None or "\n    " in error:
        return error
    lines = text.split("\n")
    shown = lines[line] if 0 <= line < len(lines) else ""
    return CompileError(error.strip(), line + 1, shown).render()


async def verified_fix(
    service: ModelService,
    text: str,
    error: str,
    *,
    check: Check,
    line: int | None = None,
    kb: Any = None,
    max_repairs: int = MAX_REPAIRS,
) -> FixResult:
    start, end = error_region(text, line)
    region = text[start:end]
    current_error = _first_error(text, error, line)
    hint = repair_hint(current_error)
    messages = debug_messages(
        region,
        current_error + (f"\n\n{hint}" if hint else ""),
        opcode_docs=opcode_docs(region, kb),
        num_ctx=service.config.parameters.num_ctx,
    )
    result = FixResult(False, start, end, original=region)
    tried: set[str] = {region.strip()}
    sampling: Sampling | None = None
    for attempt in range(1 + max_repairs):
        answer = await service.chat_text(messages, sampling)
        result.rounds = attempt + 1
        if not answer.strip():
            result.error = "the model gave no answer"
            return result
        code = extract_code(answer)
        if region.endswith("\n") and not code.endswith("\n"):
            code += "\n"
        repeated = code.strip() in tried
        if repeated:
            # Not compiled again; the next request samples differently.
            sampling = service.sampling(
                temperature=min(1.1, service.config.parameters.temperature + 0.25 * attempt + 0.25),
                seed=7919 * (attempt + 1),
            )
        else:
            tried.add(code.strip())
            candidate = text[:start] + code + text[end:]
            compiled = await check(candidate)
            if compiled.ok:
                result.ok, result.replacement, result.fixed_text = True, code, candidate
                result.error = ""
                return result
            current_error = compiled.feedback
        result.error = current_error
        if repeated:
            # With its own answer in context the model copies it again: ask afresh.
            messages = messages[:2]
            continue
        follow_up = repair_message(code, current_error, hint=repair_hint(current_error))
        messages = [*messages[:2], Message("assistant", answer), follow_up]
    return result


Key = tuple[str, int, int, str]  # uri, document version, 0-based line, message


@dataclass
class FixJobs:
    """Verified fixes computed in the background, one document version at a time.

    `state(key)` is None (never asked), "pending", or the finished `FixResult`. A job for a newer
    version of a document cancels the older ones; at most `limit` jobs run at once (a model on a
    laptop CPU takes minutes per fix), others wait their turn.
    """

    limit: int = 1
    _jobs: dict[Key, asyncio.Task[FixResult]] = field(default_factory=dict)
    _gate: asyncio.Semaphore | None = None

    def state(self, key: Key) -> FixResult | str | None:
        task = self._jobs.get(key)
        if task is None:
            return None
        if not task.done():
            return "pending"
        if task.cancelled():
            return None
        exc = task.exception()
        if exc is not None:
            return FixResult(False, error=f"the fix failed: {exc}")
        return task.result()

    def ensure(
        self,
        key: Key,
        run: Callable[[], Awaitable[FixResult]],
        spawn: Callable[[Any], asyncio.Task[Any]] | None = None,
    ) -> None:
        """Start the fix for `key` unless it is known; older versions of its document go."""
        if key in self._jobs:
            return
        uri, version = key[0], key[1]
        for old in [k for k in self._jobs if k[0] == uri and k[1] != version]:
            self._jobs.pop(old).cancel()
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.limit)
        gate = self._gate

        async def job() -> FixResult:
            async with gate:
                logger.info("AI fix for {} line {}: started", uri, key[2] + 1)
                result = await run()
                logger.info("AI fix for {} line {}: ok={} after {} round(s)", uri, key[2] + 1,
                            result.ok, result.rounds)
                return result

        self._jobs[key] = (spawn or asyncio.ensure_future)(job())

    def forget(self, uri: str) -> None:
        for key in [k for k in self._jobs if k[0] == uri]:
            self._jobs.pop(key).cancel()

    def uris(self) -> set[str]:
        return {k[0] for k in self._jobs}
