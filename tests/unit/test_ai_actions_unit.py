"""`ai_fixes`: "Fix with AI" only for compiler errors that no deterministic fix repairs."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.diagnostics import SOURCE_COMPILER, fixes_of
from csound_assist.lsp.features.chat import FIX_WITH_AI_COMMAND
from csound_assist.lsp.features.code_actions import ai_fixes

URI = "file:///tmp/x.csd"


def diag(message: str, source: str = SOURCE_COMPILER,
         severity: types.DiagnosticSeverity = types.DiagnosticSeverity.Error) -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(types.Position(9, 14), types.Position(9, 16)),
        message=message, severity=severity, source=source, code="syntax-error")


def test_compiler_error_without_fix_gets_a_command_not_an_edit():
    d = diag("Syntax error: unexpected '*'")
    assert not fixes_of(d)
    [action] = ai_fixes(URI, [(d, d)])
    assert action.kind == types.CodeActionKind.QuickFix and action.edit is None
    assert action.command.command == FIX_WITH_AI_COMMAND
    assert action.command.arguments == [{"uri": URI, "message": d.message, "line": 9}]
    assert action.diagnostics == [d]


def test_warnings_and_other_sources_get_nothing():
    assert ai_fixes(URI, [(d, d) for d in (
        diag("unused variable", source="csound-assist"),
        diag("deprecated", severity=types.DiagnosticSeverity.Warning),
    )]) == []
