"""Explain: the selection or the instrument under the cursor, grounded in the manual entries of
the opcodes it uses and in retrieved examples; streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from csound_assist.ai.context import block_at, block_region
from csound_assist.ai.grounding import Retriever, argument_notes, opcode_docs, retrieve
from csound_assist.model.service import ModelService
from csound_assist.prompts.templates import Source, explain_messages


def code_to_explain(text: str, offset: int | None = None, selection: str = "") -> str:
    """The selection if any, else the whole instr/opcode block at `offset`, else the text."""
    if selection.strip():
        return selection
    if offset is not None and block_at(text, offset) is not None:
        start, end = block_region(text, text.count("\n", 0, offset))
        return text[start:end]
    return text


async def explain(
    service: ModelService,
    code: str,
    *,
    kb: Any = None,
    retriever: Retriever | None = None,
    cheatsheet: str = "",
    sources_out: list[Source] | None = None,
) -> AsyncIterator[str]:
    """Stream the explanation; `sources_out` receives the retrieved sources first."""
    sources = await retrieve(retriever, code[:1000], 3)
    if sources_out is not None:
        sources_out.extend(sources)
    messages = explain_messages(
        code,
        opcode_docs=opcode_docs(code, kb),
        argument_notes=argument_notes(code, kb),
        sources=sources,
        cheatsheet=cheatsheet,
        num_ctx=service.config.parameters.num_ctx,
    )
    async for chunk in service.chat(messages):
        yield chunk
