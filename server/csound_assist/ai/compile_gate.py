"""Inline suggestions compiled in place before they are shown.

The buffer with the suggestion inserted at the cursor is compiled by the same check as the
diagnostics (the warm worker when it runs, a few milliseconds). A suggestion that compiles is
shown; one with a compiler error on the cursor's line or on the suggested lines is dropped. An
error elsewhere counts only when the buffer did not have it already, judged against two
baselines: the buffer as it is, and the buffer with the block being edited blanked out — the
line being typed is almost always unfinished, and Csound, which stops at its first error, would
hide everything after it in the first. A suggestion in a file that does not compile yet is so
judged by what it adds. When a check cannot run (csound missing, timed out) it is kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from csound_assist.ai.context import block_at
from csound_assist.diagnostics.model import SOURCE_COMPILER

if TYPE_CHECKING:
    from csound_assist.diagnostics.compiler import CompilerChecker


@dataclass(frozen=True, slots=True)
class Verdict:
    keep: bool
    reason: str = ""  # the error the suggestion adds, when dropped; why it was not judged
    ms: float = 0.0  # the compiles (one, or three), as the user waits for them


def insert(text: str, offset: int, suggestion: str) -> str:
    return text[:offset] + suggestion + text[offset:]


def without_block(text: str, offset: int) -> str:
    """`text` with the instr/opcode block holding `offset` blanked (or only its line, outside a
    block; to the orchestra's end when the block is not closed yet). Line numbers hold. The
    block is the shared outline's (ai.context.block_at)."""
    lines = text.split("\n")
    at = text.count("\n", 0, offset)
    block = block_at(text, offset)
    first, last = (block.start_line, block.end_line) if block is not None else (at, at)
    for i in range(first, min(last, len(lines) - 1) + 1):
        lines[i] = ""
    return "\n".join(lines)


def _errors(diags: list[lsp.Diagnostic]) -> list[lsp.Diagnostic]:
    return [
        d for d in diags
        if d.source == SOURCE_COMPILER and d.severity == lsp.DiagnosticSeverity.Error
    ]


def _key(d: lsp.Diagnostic) -> tuple[int, str]:
    return d.range.start.line, d.message


def added_errors(
    baselines: list[list[lsp.Diagnostic]],
    with_suggestion: list[lsp.Diagnostic],
    line: int,
    added_lines: int,
) -> list[lsp.Diagnostic]:
    """Compiler errors of the buffer with the suggestion (inserted on `line`, adding
    `added_lines` newlines) that no baseline has (lines below the suggestion mapped back)."""
    before = {_key(d) for diags in baselines for d in _errors(diags)}
    out = []
    for d in _errors(with_suggestion):
        at = d.range.start.line
        if line <= at <= line + added_lines:
            out.append(d)  # on the cursor's line or the suggested lines
            continue
        mapped = at - added_lines if at > line + added_lines else at
        if (mapped, d.message) not in before:
            out.append(d)
    return out


async def judge(
    checker: CompilerChecker,
    key: str,
    text: str,
    offset: int,
    suggestion: str,
    path: Path | None,
) -> Verdict:
    """Compile the buffer with `suggestion` at `offset` (and, for an error off its lines, the two
    baselines); keep it unless it adds an error. `key` names the checks (a newer judgement for
    the same key cancels this one)."""
    start = time.perf_counter()
    candidate = await checker.check_result(key, insert(text, offset, suggestion), path)
    if candidate.timed_out or candidate.returncode is None:
        return Verdict(True, "not checked: the compiler did not answer", _ms(start))
    line = text.count("\n", 0, offset)
    added_lines = suggestion.count("\n")
    added = added_errors([], candidate.diagnostics, line, added_lines)
    if added and all(line <= d.range.start.line <= line + added_lines for d in added):
        return _dropped(added, start)  # on its own lines: no baseline needed
    if added:
        baselines = [
            (await checker.check_result(key, variant, path)).diagnostics
            for variant in (text, without_block(text, offset))
        ]
        added = added_errors(baselines, candidate.diagnostics, line, added_lines)
        if added:
            return _dropped(added, start)
    return Verdict(True, "", _ms(start))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _dropped(added: list[lsp.Diagnostic], start: float) -> Verdict:
    d = added[0]
    return Verdict(False, f"line {d.range.start.line + 1}: {d.message}", _ms(start))
