"""textDocument/signatureHelp → `features.signature`."""

from __future__ import annotations

from lsprotocol import types

from csound_assist.features import signature
from csound_assist.lsp.server import CsoundLanguageServer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_SIGNATURE_HELP,
                types.SignatureHelpOptions(trigger_characters=[" ", ",", "("],
                                           retrigger_characters=[","]))
    @ls.guard("signatureHelp")
    def on_signature(params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        pos = doc.pos_from_client(params.position.line, params.position.character)
        return signature.signature_help(doc, ls.kb, pos)
