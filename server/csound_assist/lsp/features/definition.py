"""textDocument/definition and textDocument/references → `features.definition`."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.features import definition
from csound_assist.lsp.server import CsoundLanguageServer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DEFINITION)
    @ls.guard("definition", [])
    def on_definition(params: types.DefinitionParams) -> list[types.Location]:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        pos = doc.pos_from_client(params.position.line, params.position.character)
        return definition.definition(doc, ls.kb, pos)

    @ls.feature(types.TEXT_DOCUMENT_REFERENCES)
    @ls.guard("references", [])
    def on_references(params: types.ReferenceParams) -> list[types.Location]:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        pos = doc.pos_from_client(params.position.line, params.position.character)
        return definition.references(doc, ls.kb, pos, params.context.include_declaration)
