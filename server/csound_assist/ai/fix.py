"""Fix with AI: a model-written edit that is offered only after it compiled in a scratch copy.

The region sent to the model is the instrument/UDO holding the error line (else the whole file);
its answer replaces that region in a copy of the document, the copy is compiled, and a failure is
fed back for up to three repair rounds. An unverified fix is never returned as ok.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from csound_assist.ai.extract import extract_code
from csound_assist.ai.grounding import opcode_docs
from csound_assist.ai.verify import CompileResult
from csound_assist.model.base import Message
from csound_assist.model.service import ModelService
from csound_assist.prompts.templates import debug_messages, repair_message

MAX_REPAIRS = 3
Check = Callable[[str], Awaitable[CompileResult]]

_OPEN = re.compile(r"^[ \t]*(instr|opcode)\b", re.M)
_CLOSE = re.compile(r"^[ \t]*(endin|endop)\b[^\n]*\n?", re.M)


@dataclass(slots=True)
class FixResult:
    ok: bool
    start: int = 0  # region replaced, as offsets into the original text
    end: int = 0
    replacement: str = ""
    fixed_text: str = ""
    rounds: int = 0
    error: str = ""


def error_region(text: str, line: int | None) -> tuple[int, int]:
    """Offsets of the instr/opcode block containing 0-based `line`, else of the whole text."""
    if line is None:
        return 0, len(text)
    offset = sum(len(seg) for seg in text.splitlines(keepends=True)[:line])
    start = None
    for m in _OPEN.finditer(text, 0, offset + 1):
        start = m.start()
    if start is None:
        return 0, len(text)
    close = _CLOSE.search(text, start)
    if close is None or close.end() < offset:
        return 0, len(text)
    return start, close.end()


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
    messages = debug_messages(
        region,
        error,
        opcode_docs=opcode_docs(region, kb),
        num_ctx=service.config.parameters.num_ctx,
    )
    result = FixResult(False, start, end)
    current_error = error
    for attempt in range(1 + max_repairs):
        answer = await service.chat_text(messages)
        result.rounds = attempt + 1
        if not answer.strip():
            result.error = "the model gave no answer"
            return result
        code = extract_code(answer)
        if region.endswith("\n") and not code.endswith("\n"):
            code += "\n"
        if code.strip() == region.strip():
            current_error = "the answer repeats the code unchanged; " + current_error
        else:
            candidate = text[:start] + code + text[end:]
            compiled = await check(candidate)
            if compiled.ok:
                result.ok, result.replacement, result.fixed_text = True, code, candidate
                result.error = ""
                return result
            current_error = compiled.message
        result.error = current_error
        messages = [*messages, Message("assistant", answer), repair_message(code, current_error)]
    return result
