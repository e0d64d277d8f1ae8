"""textDocument/foldingRange → `features.folding`."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.features import folding
from csound_assist.lsp.server import CsoundLanguageServer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @ls.guard("foldingRange", [])
    def on_folding(params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        doc = ls.documents.get(params.text_document.uri)
        return folding.folding_ranges(doc, ls.kb) if doc is not None else []
