"""textDocument/codeAction: the diagnostics' quick fixes and a "Fix all" source action.

Fixes travel inside the diagnostics (`data`) in code-point columns; the last published set for the
document (see `diagnostics.py`) is used, so "Fix all" covers the whole file whatever range the
editor
asks about, and every edit is converted to the client's encoding here.
"""

from __future__ import annotations

import attrs
from lsprotocol import types

from csound_assist.diagnostics import FIX_ALL_KIND, SOURCE_COMPILER, code_actions, fixes_of
from csound_assist.lsp.features.diagnostics import to_client_range
from csound_assist.lsp.server import CsoundLanguageServer


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line, b.start.character) <= (a.end.line, a.end.character)


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]))
    @ls.guard("codeAction", [])
    def on_code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        doc = ls.documents.get(uri)
        runner = getattr(ls, "diagnostics_runner", None)
        published = runner.published.get(uri) if runner is not None else None
        if doc is None or published is None or published.version != doc.version:
            return []
        in_range = {id(e) for e, c in zip(published.engine, published.client, strict=True)
                    if _overlaps(c.range, params.range)}
        as_sent = {id(e): c for e, c in zip(published.engine, published.client, strict=True)}
        actions = []
        only = [str(getattr(k, "value", k)) for k in params.context.only or []]
        for action in code_actions(uri, published.engine):
            kind = str(getattr(action.kind, "value", action.kind))
            if only and not any(kind == k or kind.startswith(k + ".") for k in only):
                continue
            if action.kind == types.CodeActionKind.QuickFix and not any(
                    id(d) in in_range for d in action.diagnostics or []):
                continue
            edits = (action.edit.changes or {}).get(uri, []) if action.edit else []
            converted = [attrs.evolve(e, range=to_client_range(doc, e.range)) for e in edits]
            actions.append(attrs.evolve(
                action,
                edit=types.WorkspaceEdit(changes={uri: converted}) if action.edit else None,
                diagnostics=[as_sent.get(id(d), d) for d in action.diagnostics or []] or None,
            ))
        if not only or types.CodeActionKind.QuickFix.value in only:
            pairs = zip(published.engine, published.client, strict=True)
            actions += ai_fixes(uri, [(e, c) for e, c in pairs if id(e) in in_range])
        return actions


def ai_fixes(uri: str, pairs: list[tuple[types.Diagnostic, types.Diagnostic]]
             ) -> list[types.CodeAction]:
    """"Fix with AI" for each compiler error (engine, as sent) with no deterministic fix."""
    try:
        from csound_assist.lsp.features.chat import ai_fix_code_action
    except ImportError:  # the AI engine is not installed
        return []
    return [ai_fix_code_action(uri, sent) for engine, sent in pairs
            if engine.source == SOURCE_COMPILER and not fixes_of(engine)
            and engine.severity == types.DiagnosticSeverity.Error]
