"""Text synchronisation: didOpen/didChange/didSave/didClose into the incremental document store."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.lsp.server import CsoundLanguageServer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @ls.guard("didOpen")
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        doc = ls.documents.open(item.uri, item.text, item.version, item.language_id)
        if doc.too_large and item.uri not in ls.documents.warned_large:
            ls.documents.warned_large.add(item.uri)
            ls.message(
                f"{item.uri.rsplit('/', 1)[-1]} is {len(doc.source) / 1e6:.1f} MB, above "
                f"csoundAssist.editor.maxFileBytes ({doc.max_bytes / 1e6:.1f} MB): only lexical "
                "features run for it (no syntax tree, no compiler check).",
                types.MessageType.Warning,
            )

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @ls.guard("didChange")
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        changes = []
        for change in params.content_changes:
            rng = getattr(change, "range", None)
            if rng is None:
                changes.append((None, change.text))
            else:
                changes.append(((rng.start.line, rng.start.character, rng.end.line,
                                 rng.end.character), change.text))
        ls.documents.change(params.text_document.uri, changes, params.text_document.version)

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @ls.guard("didSave")
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        ls.documents.save(params.text_document.uri)

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @ls.guard("didClose")
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.close(params.text_document.uri)
