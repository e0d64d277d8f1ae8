"""One module per LSP feature; each exposes `register(ls)` (see `lsp.server.FEATURES`)."""
