"""Grounding: manual entries of the opcodes a piece of code uses, and retrieved examples."""

from __future__ import annotations

import re
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


_F_STATEMENT = re.compile(r"^\s*f\s*(\d+)\s+(\S+)\s+(-?\d+)\s+(-?\d+)\s*(.*?)\s*(?:;.*)?$")


def _first_sentence(text: str, limit: int = 110) -> str:
    text = " ".join(str(text).split())
    cut = re.split(r"(?<=[a-z0-9)])\. ", text, maxsplit=1)[0].rstrip(".")
    return cut if len(cut) <= limit else cut[: limit - 1].rstrip() + "…"


def _param_doc(params: dict[str, str], name: str) -> str:
    """The manual's words for a parameter; `kamp` is documented as `xamp` or `aamp` on some
    pages, so other rate prefixes are tried."""
    if name in params:
        return params[name]
    for prefix in "xkaiS":
        if name[:1] in "xkaiS" and prefix + name[1:] in params:
            return params[prefix + name[1:]]
    return ""


def _fitting(op: Any, nargs: int, nouts: int) -> Any:
    from csound_assist.features import kbinfo

    sigs = kbinfo.signatures(op)
    for sig in sigs:
        params = sig.input_params() if hasattr(sig, "input_params") else []
        required = sum(1 for p in params if not p.optional)
        variadic = any(kbinfo.is_variadic(p.type) for p in params)
        outs = len(kbinfo.out_codes(sig))
        if required <= nargs and (variadic or nargs <= len(params)) and outs >= min(nouts, 1):
            return sig
    return sigs[0] if sigs else None


def argument_notes(code: str, kb: Any, limit: int = 24) -> list[str]:
    """For each opcode call in `code`: which manual parameter each written argument is, with the
    manual's meaning — so a small model reads `buzz 0.5, 440, 10, 1`'s 1 as a table number, not
    as a phase. Score `f` statements get their table number, size and GEN routine."""
    if kb is None:
        return []
    from csound_assist.diagnostics.source import parse_source
    from csound_assist.features import kbinfo

    kind = "csd" if "<CsoundSynthesizer" in code else "orc"
    src = parse_source(code, kind, lambda w: kbinfo.get(kb, w) is not None)
    notes: list[str] = []
    for line, st in sorted(src.statements.items()):
        if not st.is_call or st.opcode is None:
            continue
        op = kbinfo.get(kb, st.opcode.text)
        if op is None or not st.args:
            continue
        sig = _fitting(op, len(st.args), len(st.outputs))
        if sig is None:
            continue
        names = kbinfo.param_names(op, sig)
        params = getattr(op, "params", None) or {}
        parts = []
        for i, arg in enumerate(st.args):
            if i >= len(names):
                break
            doc = _first_sentence(_param_doc(params, names[i]))
            parts.append(f"{names[i]} = {arg.text}" + (f" ({doc})" if doc else ""))
        if parts:
            notes.append(f"line {line + 1} `{src.lines[line].strip()}`: " + "; ".join(parts))
        if len(notes) >= limit:
            return notes
    for i in src.sco if kind == "csd" else []:
        m = _F_STATEMENT.match(src.lines[i])
        if m is None:
            continue
        table, when, size, gen = m.groups()[:4]
        entry = kb.gen(abs(int(gen))) if hasattr(kb, "gen") else None
        what = f"GEN{abs(int(gen)):02d}" + (f", {_first_sentence(entry.summary)}" if entry else "")
        notes.append(
            f"line {i + 1} `{src.lines[i].strip()}`: a function table, not a note — table number "
            f"{table}, created at {when} s, {size} points, by {what}; the numbers after it are "
            "that GEN routine's arguments"
        )
        if len(notes) >= limit:
            break
    return notes
