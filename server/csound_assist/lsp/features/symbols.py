"""textDocument/documentSymbol and workspace/symbol → `features.symbols`."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.features import symbols
from csound_assist.lsp.server import CsoundLanguageServer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @ls.guard("documentSymbol", [])
    def on_document_symbol(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        doc = ls.documents.get(params.text_document.uri)
        return symbols.document_symbols(doc, ls.kb) if doc is not None else []

    @ls.feature(types.WORKSPACE_SYMBOL)
    @ls.guard("workspaceSymbol", [])
    def on_workspace_symbol(params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol]:
        return symbols.workspace_symbols(ls.documents, params.query, ls.kb)
