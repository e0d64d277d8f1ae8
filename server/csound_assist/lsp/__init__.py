"""The language server: `create_server()` builds it; `csound-assist serve` runs it (stdio or
TCP)."""

from csound_assist.lsp.server import FEATURES, CsoundLanguageServer, create_server

__all__ = ["FEATURES", "CsoundLanguageServer", "create_server"]
