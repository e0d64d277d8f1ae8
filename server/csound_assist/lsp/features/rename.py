"""textDocument/prepareRename and textDocument/rename → `features.rename`."""

from __future__ import annotations

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from csound_assist.features import rename
from csound_assist.lsp.server import CsoundLanguageServer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    @ls.guard("prepareRename")
    def on_prepare(params: types.PrepareRenameParams) -> types.Range | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        pos = doc.pos_from_client(params.position.line, params.position.character)
        return rename.prepare_rename(doc, ls.kb, pos)

    @ls.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
    def on_rename(params: types.RenameParams) -> types.WorkspaceEdit | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        pos = doc.pos_from_client(params.position.line, params.position.character)
        try:
            return rename.rename(doc, ls.kb, pos, params.new_name)
        except rename.RenameError as exc:
            # The user's mistake: answered as an error the editor shows, not logged as a failure.
            raise JsonRpcInvalidParams(str(exc)) from exc
        except Exception:
            ls.log_failure("rename")
            return None
