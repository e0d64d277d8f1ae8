"""Generate: description → retrieved examples → CSD → compile check → repair (≤ 3 rounds).

Only a compiling CSD is ever returned as `ok`; the caller writes files only then.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from csound_assist.ai.extract import extract_code, extract_csd
from csound_assist.ai.grounding import Retriever, retrieve
from csound_assist.ai.verify import CompileResult
from csound_assist.model.base import Message
from csound_assist.model.service import ModelService
from csound_assist.prompts.templates import Source, generate_messages, repair_message

MAX_REPAIRS = 3
Check = Callable[[str], Awaitable[CompileResult]]
OnChunk = Callable[[str], None]


@dataclass(slots=True)
class GenerateResult:
    ok: bool
    csd: str | None = None
    rounds: int = 0  # model answers produced (1 = first try compiled)
    error: str = ""  # the last compiler (or model) error when not ok
    sources: list[Source] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)


async def _answer(service: ModelService, messages: list[Message], on_chunk: OnChunk | None) -> str:
    parts = []
    async for chunk in service.chat(messages):
        parts.append(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return "".join(parts)


async def generate_csd(
    service: ModelService,
    description: str,
    *,
    check: Check,
    retriever: Retriever | None = None,
    cheatsheet: str = "",
    max_repairs: int = MAX_REPAIRS,
    on_chunk: OnChunk | None = None,
    on_round: Callable[[int, str], None] | None = None,
) -> GenerateResult:
    if not description.strip():
        return GenerateResult(False, error="empty description")
    sources = await retrieve(retriever, description, service.config.rag.num_results)
    messages = generate_messages(
        description,
        sources=sources,
        cheatsheet=cheatsheet,
        num_ctx=service.config.parameters.num_ctx,
    )
    result = GenerateResult(False, sources=sources)
    for attempt in range(1 + max_repairs):
        answer = await _answer(service, messages, on_chunk)
        result.rounds = attempt + 1
        result.answers.append(answer)
        if not answer.strip():
            result.error = "the model gave no answer (is a model available? see the log)"
            return result
        csd = extract_csd(answer)
        if csd is None:
            code = extract_code(answer)
            error = "the answer contained no complete <CsoundSynthesizer> document"
        else:
            code = csd
            compiled = await check(csd)
            if compiled.ok:
                result.ok, result.csd, result.error = True, csd, ""
                return result
            error = compiled.message
        result.error = error
        if on_round is not None:
            on_round(attempt + 1, error)
        messages = [*messages, Message("assistant", answer), repair_message(code, error)]
    return result


def write_csd(result: GenerateResult, path: Path) -> bool:
    """Write the CSD only if it compiled; atomically, so a half-written file never exists."""
    if not result.ok or result.csd is None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(result.csd.rstrip("\n") + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
