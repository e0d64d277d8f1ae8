"""textDocument/documentSymbol and workspace/symbol → `features.symbols`.

Workspace symbols cover the open documents and the Csound files under the workspace folders (read
from disk, outline only, cached by modification time; at most `MAX_FILES`).
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from csound_assist.features import symbols
from csound_assist.features.document import KINDS, Document
from csound_assist.lsp.server import CsoundLanguageServer

MAX_FILES = 500
MAX_FILE_BYTES = 1_000_000


class WorkspaceFiles:
    """Csound files on disk under the workspace root, parsed lexically and cached by mtime."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[float, Document]] = {}

    def documents(self, root: Path | None, skip: set[str]) -> list[Document]:
        if root is None or not root.is_dir():
            return []
        out: list[Document] = []
        count = 0
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in KINDS or any(p.startswith(".") for p in path.parts):
                continue
            count += 1
            if count > MAX_FILES:
                break
            try:
                stat = path.stat()
                if stat.st_size > MAX_FILE_BYTES or path.resolve().as_uri() in skip:
                    continue
                hit = self._cache.get(path)
                if hit is None or hit[0] != stat.st_mtime:
                    hit = (stat.st_mtime, Document.from_path(path))
                    self._cache[path] = hit
                out.append(hit[1])
            except OSError:
                continue
        return out


def register(ls: CsoundLanguageServer) -> None:
    files = WorkspaceFiles()

    @ls.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @ls.guard("documentSymbol", [])
    def on_document_symbol(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        doc = ls.documents.get(params.text_document.uri)
        return symbols.document_symbols(doc, ls.kb) if doc is not None else []

    @ls.feature(types.WORKSPACE_SYMBOL)
    @ls.guard("workspaceSymbol", [])
    def on_workspace_symbol(params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol]:
        open_docs = list(ls.documents)
        on_disk = files.documents(ls.workspace_root(), {d.uri for d in open_docs})
        return symbols.workspace_symbols(open_docs + on_disk, params.query, ls.kb)
