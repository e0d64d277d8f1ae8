"""textDocument/completion and completionItem/resolve → `features.completion`."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.features import completion
from csound_assist.lsp.server import CsoundLanguageServer
from csound_assist.lsp.wire import Prebuilt, unstructured

TRIGGERS = [" ", "$", "#", ",", "-", "<", "("]


def _snippets(ls: CsoundLanguageServer) -> bool:
    caps = ls.client_capabilities
    try:
        return bool(caps.text_document.completion.completion_item.snippet_support)
    except AttributeError:
        return False


def register(ls: CsoundLanguageServer) -> None:
    empty = types.CompletionList(is_incomplete=False, items=[])

    @ls.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=TRIGGERS, resolve_provider=True))
    @ls.guard("completion", empty)
    def complete(params: types.CompletionParams) -> types.CompletionList | Prebuilt:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return empty
        pos = doc.pos_from_client(params.position.line, params.position.character)
        result = completion.complete(doc, ls.kb, pos, snippets=_snippets(ls))
        # Cached items are serialised once (see lsp/wire.py).
        return Prebuilt(isIncomplete=result.is_incomplete,
                        items=[unstructured(item) for item in result.items])

    @ls.feature(types.COMPLETION_ITEM_RESOLVE)
    def resolve(item: types.CompletionItem) -> types.CompletionItem:
        # Not via guard's default: a failed resolve must still return the item it was given.
        try:
            return completion.resolve(item, ls.kb)
        except Exception:
            ls.log_failure("completionResolve")
            return item
