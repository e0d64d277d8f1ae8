"""Grounding: manual entries of the opcodes a piece of code uses, and retrieved examples."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from loguru import logger

from csound_assist.ai.postfilter import used_opcodes
from csound_assist.prompts.templates import Source

Retriever = Callable[[str, int], Awaitable[Sequence[Source]]]


def opcodes_in(code: str, kb: Any) -> list[str]:
    """Known opcodes the code uses, in first-use order."""
    if kb is None:
        return []
    found: list[str] = []
    for line in code.splitlines():
        for name in sorted(used_opcodes(line, kb.opcodes)):
            if name in kb.opcodes and name not in found:
                found.append(name)
    return found


def opcode_doc(op: Any) -> str:
    """A compact manual entry: signatures, summary, parameters."""
    sigs = [s.render(op.name) for s in (getattr(op, "signatures", None) or [])[:3]]
    lines = [f"### {op.name}", *(f"    {s}" for s in sigs)]
    if getattr(op, "summary", None):
        lines.append(op.summary.strip())
    for param, text in list((getattr(op, "params", None) or {}).items())[:8]:
        lines.append(f"- {param}: {' '.join(str(text).split())[:200]}")
    if getattr(op, "deprecated", None):
        lines.append(f"Deprecated: {op.deprecated}")
    return "\n".join(lines)


def opcode_docs(code: str, kb: Any, limit: int = 12) -> list[str]:
    if kb is None:
        return []
    return [opcode_doc(kb.get(name)) for name in opcodes_in(code, kb)[:limit] if kb.get(name)]


def load_kb() -> Any:
    """The knowledge base, or None (AI features still work, less grounded)."""
    try:
        from csound_assist.knowledge import load_knowledge_base

        return load_knowledge_base()
    except Exception as exc:  # noqa: BLE001
        logger.warning("knowledge base unavailable for AI grounding: {}", exc)
        return None


def source_from_result(result: Any) -> Source:
    """A retrieval `SearchResult` as a prompt source, titled `file.csd: instr Name (lines a–b)`."""
    chunk = result.chunk
    where = f"{chunk.kind} {chunk.name}".strip() if chunk.name else chunk.kind
    title = f"{chunk.path.rsplit('/', 1)[-1]}: {where} (lines {chunk.start_line}-{chunk.end_line})"
    return Source(
        title=title,
        origin=f"{chunk.path}#L{chunk.start_line}",
        text=chunk.text,
        score=float(result.score),
    )


def index_retriever(index: Any, *, mode: str = "hybrid") -> Retriever:
    """Search `index` (a `retrieval.Index`) off the event loop. Inline completion passes
    mode="keyword": BM25 alone answers in about a millisecond, the embedder does not."""
    import asyncio

    async def retrieve(query: str, limit: int) -> list[Source]:
        results = await asyncio.to_thread(index.search, query, limit, mode=mode)
        return [source_from_result(r) for r in results]

    return retrieve


def default_retriever(config: Any, *, mode: str = "hybrid") -> Retriever | None:
    """A retriever over the configured index, or None when retrieval is not available."""
    try:
        from csound_assist.retrieval import Index

        index = Index.open(config)
    except Exception as exc:  # noqa: BLE001 — features work without retrieval
        logger.debug("retrieval unavailable: {}", exc)
        return None
    return index_retriever(index, mode=mode)


async def retrieve(retriever: Retriever | None, query: str, limit: int) -> list[Source]:
    if retriever is None:
        return []
    try:
        return list(await retriever(query, limit))
    except Exception as exc:  # noqa: BLE001 — features work without retrieval
        logger.warning("retrieval failed: {}", exc)
        return []
