"""textDocument/hover → `features.hover`."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.features import hover
from csound_assist.lsp.server import CsoundLanguageServer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    @ls.guard("hover")
    def on_hover(params: types.HoverParams) -> types.Hover | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        pos = doc.pos_from_client(params.position.line, params.position.character)
        return hover.hover(doc, ls.kb, pos)
