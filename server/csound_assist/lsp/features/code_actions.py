"""textDocument/codeAction: the diagnostics' quick fixes and a "Fix all" source action.

Fixes travel inside the diagnostics (`data`) in code-point columns; the last published set for the
document (see `diagnostics.py`) is used, so "Fix all" covers the whole file whatever range the
editor
asks about, and every edit is converted to the client's encoding here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from lsprotocol import types

from csound_assist.diagnostics import FIX_ALL_KIND, code_actions, fixes_of
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
            actions += _ai_actions(ls, uri, doc, [(e, c) for e, c in pairs if id(e) in in_range])
        return actions


def _ai_actions(ls: CsoundLanguageServer, uri: str, doc: Any,
                pairs: list[tuple[types.Diagnostic, types.Diagnostic]]) -> list[types.CodeAction]:
    """"Fix with AI" for the errors under the cursor: asking starts a background fix, which is
    offered as an edit only once it compiled (until then, and when none compiled, the action is
    shown disabled with the reason)."""
    wanted = needs_ai_fix(pairs)
    if not wanted:
        return []
    try:
        from csound_assist.ai.fix import verified_fix
        from csound_assist.lsp.features.chat import fix_edit
        from csound_assist.lsp.features.inline_completion import runtime
    except ImportError:  # the AI engine is not installed
        return []
    rt = runtime(ls)
    if not rt.service.available:
        return []
    text, version = doc.text, doc.version

    def state(engine: types.Diagnostic) -> Any:
        key = (uri, version, engine.range.start.line, engine.message)
        found = rt.fix_jobs.state(key)
        if found is None:
            line = engine.range.start.line

            async def run() -> Any:
                return await verified_fix(rt.service, text, engine.message, check=rt.check,
                                          line=line, kb=ls.kb)

            rt.fix_jobs.ensure(key, run, ls.spawn)
            found = "pending"
        return found

    return ai_fixes(uri, wanted, state, lambda fix: fix_edit(doc, uri, text, fix))


def needs_ai_fix(pairs: list[tuple[types.Diagnostic, types.Diagnostic]]
                 ) -> list[tuple[types.Diagnostic, types.Diagnostic]]:
    """The errors no deterministic fix repairs (compiler or static: an unbalanced parenthesis, an
    undefined variable), one per line."""
    out, lines = [], set()
    for engine, sent in pairs:
        if engine.severity != types.DiagnosticSeverity.Error:
            continue
        if any(f.preferred for f in fixes_of(engine)) or engine.range.start.line in lines:
            continue
        lines.add(engine.range.start.line)
        out.append((engine, sent))
    return out


def ai_fixes(uri: str, pairs: list[tuple[types.Diagnostic, types.Diagnostic]],
             state: Callable[[types.Diagnostic], Any],
             edit_of: Callable[[Any], types.WorkspaceEdit]) -> list[types.CodeAction]:
    """One "Fix with AI" per error (engine, as sent): an edit when its fix compiled, else
    disabled with why. `state(engine)` is "pending" or a finished `FixResult`."""
    actions = []
    for engine, sent in pairs:
        found = state(engine)
        if getattr(found, "ok", False):
            actions.append(types.CodeAction(
                title=f"Fix with AI (compiles): {fix_summary(found)}",
                kind=types.CodeActionKind.QuickFix, diagnostics=[sent], edit=edit_of(found)))
            continue
        if found == "pending":
            reason = ("a fix is being written and compiled; it is offered here once it compiles "
                      "(ask again in a moment)")
        else:
            reason = (f"no fix compiled after {getattr(found, 'rounds', 0)} round(s): "
                      f"{getattr(found, 'error', '')}".strip())
        actions.append(types.CodeAction(
            title="Fix with AI", kind=types.CodeActionKind.QuickFix, diagnostics=[sent],
            disabled=types.CodeActionDisabled(reason=reason)))
    return actions


def fix_summary(fix: Any) -> str:
    """The first line the fix changes, as `old → new` (short)."""
    before = [ln.strip() for ln in fix.original.splitlines()]
    after = [ln.strip() for ln in fix.replacement.splitlines()]
    changed = next((ln for ln in after if ln and ln not in before), after[0] if after else "")
    return changed if len(changed) <= 60 else changed[:59] + "…"
