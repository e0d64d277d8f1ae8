"""textDocument/inlineCompletion → `ai.complete.InlineCompleter` (ghost text).

Order of work per request: the prefix cache answers first (before any debounce); automatic
requests with more than 8 characters right of the cursor are refused; then an adaptive debounce;
then the model; then the suggestion is compiled in place (`ai.compile_gate`, through the
diagnostics' compiler) and dropped when it adds a compiler error. A newer request for the same
document cancels the older one, and cancelling closes the model stream, which stops generation.
`csound/feedback` records accepted/rejected suggestions (see lsp/README.md).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from loguru import logger
from lsprotocol import types
from pygls.uris import to_fs_path

from csound_assist.ai import compile_gate
from csound_assist.ai.complete import should_auto_trigger
from csound_assist.ai.context import cursor_context
from csound_assist.ai.runtime import AIRuntime
from csound_assist.features.analysis import build_outline
from csound_assist.lsp.server import CsoundLanguageServer
from csound_assist.lsp.wire import plain

FEEDBACK = "csound/feedback"


def runtime(ls: CsoundLanguageServer) -> AIRuntime:
    """The server's AI runtime, created on first use and rebuilt when the model settings change."""
    rt: AIRuntime | None = getattr(ls, "ai", None)
    if rt is not None and rt.model_key(rt.config) == AIRuntime.model_key(ls.config):
        rt.config = ls.config
        return rt
    if rt is not None:
        ls.spawn(rt.aclose())
    root = ls.workspace_root()
    rt = AIRuntime(
        ls.config,
        notify=lambda text: ls.message(text, types.MessageType.Warning),
        kb=lambda: ls.kb,
        workspace=str(root) if root else None,
        index=lambda: ls.index_keeper.view() if getattr(ls, "index_keeper", None) else None,
    )
    # The status bar says which model serves, where it came from, and its state.
    rt.service.on_state = lambda fields: ls.update_status(model=fields)
    ls.ai = rt  # type: ignore[attr-defined]
    return rt


def offset_of(doc: Any, line: int, char: int) -> int:
    pos = doc.pos_from_client(line, char)
    lines = doc.lines
    return sum(len(text) + 1 for text in lines[: pos.line]) + pos.char


def _answer(text: str, position: types.Position) -> types.InlineCompletionList | None:
    if not text:
        return None
    item = types.InlineCompletionItem(
        insert_text=text, range=types.Range(start=position, end=position)
    )
    return types.InlineCompletionList(items=[item])


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    @ls.guard("inline_completion")
    async def on_inline_completion(
        params: types.InlineCompletionParams,
    ) -> types.InlineCompletionList | None:
        if not ls.config.editor.inline_completions:
            return None
        doc = ls.documents.get(params.text_document.uri)
        if doc is None or doc.too_large:
            return None
        rt = runtime(ls)
        text = doc.text
        # The AI context reads the document's own outline (updated from the incremental tree).
        build_outline(doc, ls.kb)
        offset = offset_of(doc, params.position.line, params.position.character)
        hit = rt.completer.cached(text, offset)
        if hit is not None:
            return _answer(hit.text, params.position)
        automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
        if automatic and not should_auto_trigger(cursor_context(text, offset)):
            return None
        if not rt.service.available:
            return None  # answered at once while the backend is down; it reconnects by itself
        uri = params.text_document.uri
        previous = rt.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()  # superseded: closes its model stream
        rt.completer.known_opcodes = rt.known_opcodes()

        async def run() -> str:
            if automatic:
                debounce = rt.debounce.setdefault(uri, _debounce(ls))
                await asyncio.sleep(debounce.next_delay() / 1000)
            suggestion = (await rt.completer.complete(text, offset)).text
            if suggestion and not await compiles_in_place(ls, uri, text, offset, suggestion):
                ctx = cursor_context(text, offset)
                rt.completer.cache.discard(ctx.prefix, ctx.suffix)
                return ""
            return suggestion

        task = asyncio.ensure_future(run())
        rt.pending[uri] = task
        try:
            suggestion = await task
        except asyncio.CancelledError:
            task.cancel()  # our own request was cancelled ($/cancelRequest): stop the model too
            raise
        finally:
            if rt.pending.get(uri) is task:
                del rt.pending[uri]
        return _answer(suggestion, params.position)

    @ls.feature(FEEDBACK)
    @ls.guard("feedback")
    async def on_feedback(params: Any) -> None:
        """{kind: inline|chat|fix|generate|explain, verdict: accepted|rejected|up|down, detail?}"""
        data = plain(params)
        rt = runtime(ls)
        info = await rt.model_info()
        rt.feedback.record(
            data.get("kind", "inline"), data.get("verdict", ""), info, **(data.get("detail") or {})
        )

    preloaded: list[bool] = []

    def preload(event: str, doc: Any) -> None:  # noqa: ARG001
        """Load the model when the first document opens, so the first suggestion is warm."""
        if event == "open" and not preloaded and ls.config.editor.inline_completions:
            preloaded.append(True)
            ls.spawn(runtime(ls).preload())

    ls.documents.on_change(preload)

    def remember_edit(event: str, doc: Any) -> None:
        """Lines the user edits (in any open file) become the "recently edited" context."""
        rt: AIRuntime | None = getattr(ls, "ai", None)
        line = doc.edited_line
        if event != "change" or rt is None or line is None or line >= len(doc.line_starts):
            return
        # One line from the bytes: splitting a large file on every keystroke would cost more.
        start = doc.line_starts[line]
        end = doc.source.find(b"\n", start)
        text = doc.source[start : end if end >= 0 else len(doc.source)][:400]
        rt.completer.recent.add(text.decode("utf-8", "replace")[:200], key=(doc.uri, line))

    ls.documents.on_change(remember_edit)


async def compiles_in_place(
    ls: CsoundLanguageServer, uri: str, text: str, offset: int, suggestion: str
) -> bool:
    """Whether the suggestion may be shown: it adds no compiler error to the buffer (see
    ai.compile_gate), checked by the diagnostics' compiler (the warm worker when it runs)."""
    runner = getattr(ls, "diagnostics_runner", None)
    if not ls.config.editor.inline_compile_check or runner is None:
        return True
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    verdict = await compile_gate.judge(runner.checker, f"{uri}#inline", text, offset, suggestion,
                                       Path(fs_path) if fs_path else None)
    if not verdict.keep:
        logger.debug("inline suggestion dropped after compiling it ({:.0f} ms): {}",
                     verdict.ms, verdict.reason)
    return verdict.keep


def _debounce(ls: CsoundLanguageServer) -> Any:
    from csound_assist.ai.complete import AdaptiveDebounce

    base = ls.config.editor.inline_debounce_ms
    return AdaptiveDebounce(low_ms=min(150, base), high_ms=max(350, base))
