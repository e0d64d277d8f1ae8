"""Feature engines: pure functions over (document, knowledge base, position).

They never import pygls; the LSP layer (`csound_assist.lsp`) and the CLI (`csound_assist.cli.lsp`)
are two
thin faces over them. Positions are engine `Pos` (line, code-point column); `Document` converts from
and
to the client's encoding.
"""
