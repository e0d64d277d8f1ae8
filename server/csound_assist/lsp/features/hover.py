"""textDocument/hover → `features.hover`, plus an "Explain" link under an opcode's documentation.

The link is a `command:` URI for the client's `csoundAssist.explainSelection` command with the
hovered position; VS Code follows it only because the extension trusts that one command in
server markdown.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import attrs
from lsprotocol import types

from csound_assist.features import hover
from csound_assist.features.analysis import word_at
from csound_assist.lsp.server import CsoundLanguageServer

EXPLAIN_COMMAND = "csoundAssist.explainSelection"


def explain_link(uri: str, position: types.Position, opcode: str) -> str:
    args = [{"uri": uri, "position": {"line": position.line, "character": position.character},
             "opcode": opcode}]
    return f"[Explain with AI](command:{EXPLAIN_COMMAND}?{quote(json.dumps(args))})"


def with_explain(result: types.Hover, link: str) -> types.Hover:
    contents = result.contents
    if not isinstance(contents, types.MarkupContent):
        return result
    value = f"{contents.value}\n\n{link}"
    return attrs.evolve(result, contents=attrs.evolve(contents, value=value))


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    @ls.guard("hover")
    def on_hover(params: types.HoverParams) -> types.Hover | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        pos = doc.pos_from_client(params.position.line, params.position.character)
        result = hover.hover(doc, ls.kb, pos)
        if result is None or ls.kb is None:
            return result
        hit = word_at(doc.line(pos.line), pos.char)
        if hit is None or ls.kb.get(hit[0]) is None:
            return result
        return with_explain(result, explain_link(params.text_document.uri, params.position, hit[0]))
