"""Diagnostics: the compiler check (a subprocess), its stderr parser, static checks and quick fixes.

A pure engine (no pygls): the LSP layer and the CLI call these.

    checker = CompilerChecker(executable="csound", timeout=3.0)
    diags = await checker.check(uri, text, path)  # compiler; a newer call cancels the older
    diags += static_checks(text, path)  # static checks: many problems at once
    actions = code_actions(uri, diags)  # quick fixes + "Fix all"
    fixed = fix_all(text, diags)  # every preferred fix applied
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from csound_assist.diagnostics import csound7
from csound_assist.diagnostics.compiler import (
    CheckResult,
    CompilerChecker,
    compile_check,
    csound_available,
    run_check,
    sanitize_csd,
)
from csound_assist.diagnostics.fixes import (
    FIX_ALL_KIND,
    apply_edits,
    code_actions,
    fix_all,
    merge_edits,
    preferred_fixes,
)
from csound_assist.diagnostics.model import (
    SOURCE_COMPILER,
    SOURCE_STATIC,
    Code,
    Edit,
    Fix,
    fixes_of,
)
from csound_assist.diagnostics.static import static_checks
from csound_assist.diagnostics.stderr import Mapping, parse_stderr


async def check_document(
    text: str,
    path: Path | None = None,
    *,
    checker: CompilerChecker | None = None,
    key: str | None = None,
) -> list[lsp.Diagnostic]:
    """Compiler and static diagnostics together, as the CLI shows them."""
    checker = checker or CompilerChecker()
    compiled = await checker.check(key or str(path), text, path)
    return merge(compiled, static_checks(text, path))


def merge(compiled: list[lsp.Diagnostic], static: list[lsp.Diagnostic]) -> list[lsp.Diagnostic]:
    """Compiler and static diagnostics; where an error of each starts at one place, the static one
    (which explains more and carries fixes) stays, with the compiler's words appended. A file in
    Csound 7 syntax checked with a Csound 6 shows the one note instead of the compiler's errors."""
    compiled = csound7.collapse(compiled, static)
    by_start = {
        (d.range.start.line, d.range.start.character): d
        for d in static
        if d.severity == lsp.DiagnosticSeverity.Error
    }
    # A broken CSD tag explains csound's unplaced complaint ("too many arguments" at 1:1).
    tag = next((d for d in static if d.code in _TAG_CODES and d.severity == 1), None)
    out = []
    for d in compiled:
        twin = by_start.get((d.range.start.line, d.range.start.character))
        if twin is None and tag is not None and _unplaced(d):
            twin = tag
        if twin is not None:
            twin.message = f"{twin.message}\n(csound: {d.message})"
            continue
        out.append(d)
    return [*out, *static]


_TAG_CODES = frozenset({Code.CSD_TAG, Code.CSD_TAG_LINE, Code.XML_BLOCK})


def _unplaced(d: lsp.Diagnostic) -> bool:
    """A compiler error csound gave no place for (shown over the whole file from 1:1)."""
    r = d.range
    return (r.start.line, r.start.character) == (0, 0) and r.end.line > 0


__all__ = [
    "FIX_ALL_KIND",
    "SOURCE_COMPILER",
    "SOURCE_STATIC",
    "CheckResult",
    "Code",
    "CompilerChecker",
    "Edit",
    "Fix",
    "Mapping",
    "apply_edits",
    "check_document",
    "code_actions",
    "compile_check",
    "csound_available",
    "fix_all",
    "fixes_of",
    "merge",
    "merge_edits",
    "parse_stderr",
    "preferred_fixes",
    "run_check",
    "sanitize_csd",
    "static_checks",
]
