"""Rename for local variables and UDOs (the symbols whose every use is in this document)."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from csound_assist.features.analysis import build_outline, rate_of
from csound_assist.features.definition import reference_spans, resolve_symbol
from csound_assist.features.document import Document, Pos
from csound_assist.features.protocol import lsp_range

_VALID = re.compile(r"[A-Za-z_]\w*")


class RenameError(ValueError):
    """Raised with a message for the user when a rename is not possible."""


def prepare_rename(doc: Document, kb: Any, pos: Pos) -> types.Range | None:
    found = resolve_symbol(doc, kb, pos)
    if found is None:
        return None
    sym, span = found
    if sym.kind == "udo" or (sym.kind == "variable" and sym.block is not None):
        return lsp_range(doc, span)
    return None


def rename(doc: Document, kb: Any, pos: Pos, new_name: str) -> types.WorkspaceEdit | None:
    found = resolve_symbol(doc, kb, pos)
    if found is None:
        return None
    sym, _ = found
    if not (sym.kind == "udo" or (sym.kind == "variable" and sym.block is not None)):
        raise RenameError("only local variables and user-defined opcodes can be renamed")
    if not _VALID.fullmatch(new_name):
        raise RenameError(f"{new_name!r} is not a valid Csound name")
    var = build_outline(doc, kb).variable(sym.name, pos.line) if sym.kind == "variable" else None
    # A Csound 7 typed name (`freq:i`) keeps its rate whatever it is called.
    typed = var is not None and bool(var.type)
    if sym.kind == "variable" and not typed and rate_of(new_name) != rate_of(sym.name):
        raise RenameError(
            f"{new_name!r} would change the rate of {sym.name!r} (the first letter sets the rate)")
    if kb is not None and new_name in kb.opcodes:
        raise RenameError(f"{new_name!r} is an opcode name")
    edits = [types.TextEdit(range=lsp_range(doc, s), new_text=new_name)
             for s in reference_spans(doc, kb, sym)]
    return types.WorkspaceEdit(changes={doc.uri: edits})
