"""One module per LSP feature; each exposes `register(ls)` (see `csound_assist.lsp.server.FEATURES`)."""
