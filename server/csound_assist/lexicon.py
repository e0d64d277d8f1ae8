"""Words of the orchestra language that are not signal opcodes, defined once for every reader."""

from __future__ import annotations

# Csound 7's statement keywords (`in` of `for x in arr` is not here: it is also an opcode).
CSOUND7_KEYWORDS = frozenset({"for", "switch", "case", "default", "endsw", "struct"})
# Block and jump keywords: instruments, UDOs, if/else and loops, goto.
BLOCK_KEYWORDS = frozenset({
    "instr", "endin", "opcode", "endop", "if", "then", "elseif", "else", "endif",
    "while", "until", "do", "od", "goto", "igoto", "kgoto",
} | CSOUND7_KEYWORDS)
# Everything that steers control flow rather than making a signal: the block keywords, the other
# spellings of `then` and of a loop's end, and the jump and re-initialisation opcodes.
KEYWORDS = BLOCK_KEYWORDS | {
    "ithen", "kthen", "enduntil", "tigoto", "cigoto", "cggoto", "ckgoto", "cngoto",
    "return", "rireturn", "reinit", "rigoto", "timout",
}
# The orchestra header's global variables.
HEADER_NAMES = ("sr", "kr", "ksmps", "nchnls", "nchnls_i", "0dbfs", "A4")
