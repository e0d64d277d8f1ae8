"""Diagnostic codes, sources and the fix payload carried in `Diagnostic.data`.

Positions are 0-based (line, code-point column) like every engine in csound-assist; the LSP layer
converts columns to the negotiated encoding. A fix travels inside the diagnostic
(`data["fixes"]`), so `code_actions` needs nothing but the diagnostics the client sends back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lsprotocol import types as lsp

SOURCE_COMPILER = "csound"
SOURCE_STATIC = "csound-assist"


class Code(StrEnum):
    # From the compiler's stderr.
    SYNTAX = "syntax-error"
    ARG_TYPES = "argument-types"
    USED_BEFORE_DEFINED = "used-before-defined"
    INCLUDE = "missing-include"
    UNREADABLE_INCLUDE = "unreadable-include"  # a device, FIFO, URL or too large: never read
    REDEFINED = "redefined"
    SCORE = "score-error"
    COMPILER = "compiler-error"  # recognised as an error, not as a known shape
    CHECK_FAILED = "check-failed"  # csound missing, timed out…
    # Static checks (numbered as in the issue).
    MISSING_END = "missing-end"  # 1
    MISSING_HEADER = "missing-header"  # 2
    UNKNOWN_OPCODE = "unknown-opcode"  # 3
    OUTPUT_RATE = "output-rate"  # 4
    UNDEFINED_TABLE = "undefined-table"  # 5
    EXP_ZERO = "exp-zero"  # 6
    MISSING_0DBFS = "missing-0dbfs"  # 7
    SCORE_PFIELDS = "score-pfields"  # 8
    SCORE_UNDEFINED_INSTR = "score-undefined-instr"  # 8
    OUTPUT_ARITY = "output-arity"  # 9
    USED_BEFORE_ASSIGNED = "used-before-assigned"  # 10
    UNUSED_VARIABLE = "unused-variable"  # 10
    MISPLACED = "misplaced-statement"  # 11
    CSD_TAG = "csd-tag"  # a tag Csound skips: wrong case, misspelled, blank attributes
    CSD_TAG_LINE = "csd-tag-line"  # a tag after other text on its line (one-line <CsOptions>)
    XML_BLOCK = "xml-block"  # <instr 1> … </instr>
    CSOUND7_SYNTAX = "csound7-syntax"  # Csound 7 syntax while the installed Csound is 6.x
    # The AI anti-pattern catalogue (antipatterns.py, ANTIPATTERNS.md), numbered as it is.
    UDO_HEADER = "udo-header"  # 3: `opcode Name` without types
    CPSMIDI_ARGS = "cpsmidi-args"  # 4, 18: cpsmidi(p4)
    SEGMENT_COUNT = "segment-count"  # 6: linseg 0, 0.01, 1, 0.5
    UDO_NO_XIN = "udo-no-xin"  # 7: an old-style UDO that never reads its inputs
    XOUT_COUNT = "xout-count"  # 9: xout gives another number of values than declared
    GLOBAL_ACCUMULATOR = "global-accumulator"  # 10: gaRev += aSig, never cleared
    RELEASE_P3 = "release-p3"  # 14: linsegr 0, 0.01, 1, p3 - 0.1, …
    CHANNEL_NAME = "channel-name"  # 15: chnset k, "my channel"
    NEW_UDO_XIN = "new-udo-xin"  # 16: xin in a new-style UDO
    TYPE_SUFFIX = "type-suffix"  # 17: linen(…):a


@dataclass(frozen=True, slots=True)
class Edit:
    start: tuple[int, int]
    end: tuple[int, int]
    new_text: str

    def to_lsp(self) -> lsp.TextEdit:
        return lsp.TextEdit(range=rng(*self.start, *self.end), new_text=self.new_text)

    def to_json(self) -> dict[str, Any]:
        return {"start": list(self.start), "end": list(self.end), "newText": self.new_text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Edit:
        return cls(tuple(data["start"]), tuple(data["end"]), str(data["newText"]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    preferred: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "preferred": self.preferred,
            "edits": [e.to_json() for e in self.edits],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fix:
        edits = tuple(Edit.from_json(e) for e in data.get("edits", []))
        return cls(str(data["title"]), edits, bool(data.get("preferred", False)))


@dataclass(slots=True)
class Extra:
    """Optional parts of a diagnostic beyond range, message and code."""

    fixes: list[Fix] = field(default_factory=list)
    related: list[lsp.DiagnosticRelatedInformation] = field(default_factory=list)
    tags: list[lsp.DiagnosticTag] = field(default_factory=list)


def rng(l1: int, c1: int, l2: int, c2: int) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=l1, character=c1), end=lsp.Position(line=l2, character=c2)
    )


def diagnostic(
    line: int,
    start: int,
    end: int,
    message: str,
    code: Code,
    *,
    severity: lsp.DiagnosticSeverity = lsp.DiagnosticSeverity.Error,
    source: str = SOURCE_STATIC,
    end_line: int | None = None,
    fixes: list[Fix] | None = None,
    related: list[lsp.DiagnosticRelatedInformation] | None = None,
    tags: list[lsp.DiagnosticTag] | None = None,
) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=rng(line, start, line if end_line is None else end_line, end),
        message=message,
        severity=severity,
        code=str(code),
        source=source,
        related_information=related or None,
        tags=tags or None,
        data={"fixes": [f.to_json() for f in fixes]} if fixes else None,
    )


def fixes_of(diag: lsp.Diagnostic) -> list[Fix]:
    data = diag.data
    if not isinstance(data, dict):
        return []
    try:
        return [Fix.from_json(f) for f in data.get("fixes", [])]
    except (KeyError, TypeError, ValueError):
        return []


def to_json(diag: lsp.Diagnostic, file: str | None = None) -> dict[str, Any]:
    """The CLI's `--json` form: an LSP Diagnostic plus a `file` field."""
    out: dict[str, Any] = {
        "range": {
            "start": {"line": diag.range.start.line, "character": diag.range.start.character},
            "end": {"line": diag.range.end.line, "character": diag.range.end.character},
        },
        "severity": int(diag.severity) if diag.severity is not None else 1,
        "code": diag.code,
        "source": diag.source,
        "message": diag.message,
    }
    if diag.related_information:
        out["relatedInformation"] = [
            {
                "location": {
                    "uri": r.location.uri,
                    "range": {
                        "start": {
                            "line": r.location.range.start.line,
                            "character": r.location.range.start.character,
                        },
                        "end": {
                            "line": r.location.range.end.line,
                            "character": r.location.range.end.character,
                        },
                    },
                },
                "message": r.message,
            }
            for r in diag.related_information
        ]
    if diag.data:
        out["data"] = diag.data
    if file is not None:
        out["file"] = file
    return out
