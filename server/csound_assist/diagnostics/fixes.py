"""Quick fixes as LSP code actions, "Fix all", and applying edits to text (for the CLI and
tests)."""

from __future__ import annotations

from lsprotocol import types as lsp

from csound_assist.diagnostics.model import Edit, Fix, fixes_of

FIX_ALL_KIND = "source.fixAll.csound-assist"


def code_actions(
    uri: str, diagnostics: list[lsp.Diagnostic], want: list[str] | None = None
) -> list[lsp.CodeAction]:
    """One `quickfix` per fix of each diagnostic, then a "Fix all" source action.

    `want` is the client's `context.only` filter (kinds), if any.
    """
    actions: list[lsp.CodeAction] = []
    for diag in diagnostics:
        for fix in fixes_of(diag):
            actions.append(
                lsp.CodeAction(
                    title=fix.title,
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    is_preferred=fix.preferred or None,
                    edit=lsp.WorkspaceEdit(changes={uri: [e.to_lsp() for e in fix.edits]}),
                )
            )
    preferred = preferred_fixes(diagnostics)
    if preferred:
        actions.append(
            lsp.CodeAction(
                title=f"Fix all auto-fixable Csound problems ({len(preferred)})",
                kind=FIX_ALL_KIND,
                diagnostics=[d for d in diagnostics if any(f.preferred for f in fixes_of(d))],
                edit=lsp.WorkspaceEdit(changes={uri: [e.to_lsp() for e in merge_edits(preferred)]}),
            )
        )
    if want:
        actions = [a for a in actions if any(str(a.kind).startswith(str(k)) for k in want)]
    return actions


def preferred_fixes(diagnostics: list[lsp.Diagnostic]) -> list[Fix]:
    return [f for d in diagnostics for f in fixes_of(d) if f.preferred]


def merge_edits(fixes: list[Fix]) -> list[Edit]:
    """The edits of `fixes`, deduplicated; a fix overlapping an earlier one is dropped whole."""
    taken: list[Edit] = []
    seen: set[Edit] = set()
    for fix in fixes:
        new = [e for e in fix.edits if e not in seen]
        if any(_overlaps(e, t) for e in new for t in taken):
            continue
        for e in new:
            seen.add(e)
            taken.append(e)
    return taken


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end and b.start == b.end:
        return False  # two insertions at one point both apply (in order)
    return a.start < b.end and b.start < a.end


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits given in positions of the original `text`."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(pos: tuple[int, int]) -> int:
        line, char = pos
        if line >= len(lines):
            return len(text)
        return min(starts[line] + char, starts[line] + len(lines[line]))

    ordered = sorted(enumerate(edits), key=lambda ie: (offset(ie[1].start), ie[0]), reverse=True)
    out = text
    for _i, e in ordered:
        a, b = offset(e.start), offset(e.end)
        if e.end[0] >= len(lines) and e.end != e.start:
            b = len(text)
        out = out[:a] + e.new_text + out[b:]
    return out


def fix_all(text: str, diagnostics: list[lsp.Diagnostic]) -> str:
    """`text` with every preferred fix applied."""
    return apply_edits(text, merge_edits(preferred_fixes(diagnostics)))
