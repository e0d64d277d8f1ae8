"""Generate: description → retrieved examples → CSD → normalise → compile → repair (≤ 3 rounds).

Between the model and the compiler sits what we know for certain: `normalize` repairs the
mechanics (tags, XML blocks, header, missing sections, the static checks' quick fixes) and
`borrow` copies the global definitions a partly copied example needs. A repair round is told
the first error, its line and that line's text. An answer equal to an earlier one (byte for
byte, or once normalised) is never compiled again: the next request varies the sampling (seed,
temperature) and then the examples shown.

Only a compiling CSD is ever returned as `ok`; the caller writes files only then.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from csound_assist.ai.borrow import borrow_globals
from csound_assist.ai.grounding import Retriever, retrieve
from csound_assist.ai.normalize import normalize_csd
from csound_assist.ai.verify import CompileResult, repair_hint
from csound_assist.model.base import Message, Sampling
from csound_assist.model.service import ModelService
from csound_assist.prompts.templates import Source, generate_messages, repair_message

MAX_REPAIRS = 3
Check = Callable[[str], Awaitable[CompileResult]]
OnChunk = Callable[[str], None]
# How a repeated answer changes the next request: sampling first, then the examples.
VARY_TEMPERATURE_STEP = 0.25
MAX_TEMPERATURE = 1.1
_USED_BEFORE = re.compile(r"Variable '(g\w+)'")


@dataclass(slots=True)
class GenerateResult:
    ok: bool
    csd: str | None = None
    rounds: int = 0  # model answers produced (1 = first try compiled)
    error: str = ""  # the last compiler (or model) error when not ok
    sources: list[Source] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    # Per round: what the normaliser and the borrowing changed, and what happened.
    log: list[str] = field(default_factory=list)
    repeats: int = 0  # answers equal to an earlier one, or failing with an earlier error


async def _answer(
    service: ModelService,
    messages: list[Message],
    on_chunk: OnChunk | None,
    sampling: Sampling | None,
) -> str:
    parts = []
    async for chunk in service.chat(messages, sampling):
        parts.append(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return "".join(parts)


async def _settle(
    csd: str, sources: list[Source], check: Check
) -> tuple[str, CompileResult, list[str]]:
    """Compile; while the error is a global the examples define, copy it over and compile again."""
    notes: list[str] = []
    compiled = await check(csd)
    for _ in range(3):
        if compiled.ok:
            break
        names = set(_USED_BEFORE.findall(compiled.feedback))
        borrowed = borrow_globals(csd, sources, names or None)
        if not borrowed.lines:
            break
        notes.append("copied from the examples: " + "; ".join(borrowed.lines))
        csd = normalize_csd(borrowed.text).text
        compiled = await check(csd)
    return csd, compiled, notes


def _hint(compiled: CompileResult, csd: str, sources: list[Source]) -> str:
    names = _USED_BEFORE.findall(compiled.feedback)
    missing = (borrow_globals(csd, sources, set(names)).missing or names) if names else None
    return repair_hint(compiled.feedback, missing)


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
    num_ctx = service.config.parameters.num_ctx
    shown = list(sources)
    base = generate_messages(description, sources=shown, cheatsheet=cheatsheet, num_ctx=num_ctx)
    result = GenerateResult(False, sources=sources)
    seen: dict[str, str] = {}  # normalised text → its compiler feedback
    follow_up: list[Message] = []  # the last failed answer and its repair turn, or a fresh note
    sampling: Sampling | None = None
    silent: str | None = None  # the first CSD that compiled without sending sound out
    for attempt in range(1 + max_repairs):
        if follow_up and follow_up[0].role == "user":  # a fresh start: one user turn
            request = [*base[:-1], Message("user", f"{base[-1].content}\n\n{follow_up[0].content}")]
        else:
            request = [*base, *follow_up]
        answer = await _answer(service, request, on_chunk, sampling)
        result.rounds = attempt + 1
        result.answers.append(answer)
        if not answer.strip():
            result.error = "the model gave no answer (is a model available? see the log)"
            return result
        normalized = normalize_csd(answer)
        csd = normalized.text
        notes = [f"normalised: {c}" for c in normalized.code_changes]
        repeated = csd in seen or answer in result.answers[:-1]
        stuck = False  # a new answer with the error of the last round, at the same line
        if "<CsoundSynthesizer>" not in csd:
            error = "the answer contained no complete <CsoundSynthesizer> document"
            feedback, hint = error, ""
        elif repeated:
            feedback = seen.get(csd, result.error)
            error, hint = feedback, ""
            notes.append("the same answer as an earlier round: not compiled again")
        else:
            csd, compiled, borrowed = await _settle(csd, sources, check)
            notes += borrowed
            if compiled.ok and writes_audio(csd):
                result.ok, result.csd, result.error = True, csd, ""
                result.log.append(_round_log(attempt + 1, notes, "compiles"))
                return result
            if compiled.ok:
                # Compiles, but silent (Qwen's bell answer: envelopes, no oscillator, no outs).
                silent = silent or csd
                feedback = error = SILENT
                hint = ""
            else:
                feedback = compiled.feedback
                error = compiled.message or feedback
                hint = _hint(compiled, csd, sources)
            stuck = feedback in seen.values()
            if stuck:
                notes.append("the same error as an earlier round")
            seen[csd] = feedback
        if repeated or stuck:
            # Asking the same way again gets the same answer: vary sampling, then the examples.
            result.repeats += 1
            sampling, reordered = _vary(service, result.repeats, sources, shown)
            if reordered != shown:
                shown = reordered
                base = generate_messages(
                    description, sources=shown, cheatsheet=cheatsheet, num_ctx=num_ctx
                )
        result.error = error
        result.log.append(_round_log(attempt + 1, notes, feedback))
        if on_round is not None:
            on_round(attempt + 1, feedback)
        if repeated:
            # A model with its last answer in context copies it, whatever the sampling (Qwen gave
            # the same 1,000 tokens at temperature 0.95 and 1.2): ask afresh, without that answer,
            # saying only what to avoid.
            follow_up = [fresh_start(feedback, repair_hint(feedback))]
            continue
        # The repaired code stands in for the answer: what the error's line number refers to.
        said = f"```csound\n{csd.strip()}\n```" if normalized.code_changes else answer
        follow_up = [
            Message("assistant", said),
            repair_message(
                csd,
                feedback,
                changes=normalized.code_changes,
                repeated=repeated,
                stuck=stuck,
                hint=hint,
            ),
        ]
    if silent is not None:
        # It compiles: that is the contract; the log says it makes no sound.
        result.ok, result.csd = True, silent
        result.log.append("kept the CSD that compiles, although no instrument sends sound out")
    return result


SILENT = (
    "It compiles, but it makes no sound: no instrument sends audio out. End the instrument that "
    "makes the sound with `outs aLeft, aRight` (or `out`/`outch`)."
)
_OUTPUTS = re.compile(
    r"(?<![\w$#.])(?:outs|out|outch|outq|outh|outo|outx|out32|outs1|outs2|outc|outq[1-4]|fout"
    r"|soundout|soundouts|monitor|outvalue)(?![\w])"
)


def writes_audio(csd: str) -> bool:
    """Whether some statement of the orchestra sends sound out (the rest of audibility is the
    renderer's to judge)."""
    from csound_assist.diagnostics.source import blank_code

    code = blank_code(csd)
    start = code.find("<CsInstruments>")
    end = code.find("</CsInstruments>")
    return _OUTPUTS.search(code[start if start >= 0 else 0 : end if end >= 0 else None]) is not None


def fresh_start(feedback: str, hint: str = "") -> Message:
    """The turn after a repeated answer: the request again, with the error to avoid."""
    first = feedback.strip().split("\n")
    note = (
        "An earlier answer to this request did not compile; csound said: "
        + first[0]
        + (f" on the line `{first[1].split('|', 1)[-1].strip()}`" if len(first) > 1 else "")
        + ". Write a new CSD that avoids this."
    )
    return Message("user", note + (f" {hint}" if hint else ""))


def _vary(
    service: ModelService, repeats: int, sources: list[Source], shown: list[Source]
) -> tuple[Sampling, list[Source]]:
    """The sampling and examples for the request after the `repeats`-th repeated answer: a new
    seed and a higher temperature each time; from the second repeat, other examples too."""
    params = service.config.parameters
    temperature = min(MAX_TEMPERATURE, params.temperature + VARY_TEMPERATURE_STEP * repeats)
    sampling = service.sampling(temperature=temperature, seed=7919 * repeats)
    if repeats >= 2 and len(sources) > 1:
        # The example it kept copying goes (the prompt orders sources by score, not by list).
        shown = sources[min(repeats - 1, len(sources) - 1) :]
    return sampling, shown


def _round_log(n: int, notes: list[str], outcome: str) -> str:
    lines = [f"round {n}: {outcome.splitlines()[0] if outcome else ''}"]
    lines += [f"  {note}" for note in notes]
    return "\n".join(lines)


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
