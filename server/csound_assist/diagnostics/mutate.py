"""Planting one known error in a working Csound file: the benchmark's and property tests' mutants.

Each mutation returns the broken text, the 0-based line where the error was planted, and the codes a
correct diagnostic may carry there. Mutations that do not apply to a file return None.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from csound_assist.diagnostics.model import Code
from csound_assist.diagnostics.opcodes import OpcodeTable
from csound_assist.diagnostics.source import IDENT, NUMBER, Source, parse_source
from csound_assist.diagnostics.static import _EXP_OPCODES, _header, var_rate


@dataclass(frozen=True, slots=True)
class Mutant:
    kind: str
    text: str
    line: int  # where the error was planted (for a deleted line: the line that took its place)
    also: tuple[int, ...]  # other lines where a diagnostic counts (e.g. the unclosed `instr`)
    codes: frozenset[str]
    fixable: bool  # whether the issue promises a preferred fix for this class


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _src(text: str, table: OpcodeTable) -> Source:
    return parse_source(text, "csd" if "<CsoundSynthesizer" in text else "orc", table.__contains__)


def delete_endin(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    src = _src(text, table)
    blocks = [b for b in src.blocks if b.kind == "instr" and b.end is not None]
    if not blocks:
        return None
    b = rnd.choice(blocks)
    assert b.end is not None
    lines = _lines(text)
    del lines[b.end]
    codes = frozenset({Code.MISSING_END, Code.SYNTAX})
    return Mutant("delete endin", "\n".join(lines), b.end, (b.start,), codes, True)


def _typo(word: str, rnd: random.Random) -> str:
    i = rnd.randrange(1, len(word) - 1)
    how = rnd.choice(["swap", "drop", "double"])
    if how == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def misspell_opcode(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    src = _src(text, table)
    sts = [
        st
        for st in src.statements.values()
        if st.is_call and st.opcode and st.opcode.text in table and len(st.opcode.text) >= 4
    ]
    if not sts:
        return None
    st = rnd.choice(sts)
    assert st.opcode is not None
    for _ in range(10):
        new = _typo(st.opcode.text, rnd)
        if new not in table and new != st.opcode.text:
            break
    else:
        return None
    lines = _lines(text)
    ln, tok = st.line, st.opcode
    lines[ln] = lines[ln][: tok.start] + new + lines[ln][tok.end :]
    codes = frozenset({Code.UNKNOWN_OPCODE, Code.SYNTAX, Code.ARG_TYPES})
    return Mutant("misspell opcode", "\n".join(lines), ln, (), codes, True)


def wrong_output_rate(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    src = _src(text, table)
    cands = []
    for st in src.statements.values():
        if not st.is_call or st.opcode is None or len(st.outputs) != 1:
            continue
        out = st.outputs[0]
        if out.text.startswith("g") or var_rate(out.text) != "a":
            continue
        if table.output_rates(st.opcode.text, 0) != {"a"}:
            continue
        cands.append(st)
    if not cands:
        return None
    st = rnd.choice(cands)
    block = src.block_at(st.line)
    if block is None:
        return None
    old = st.outputs[0].text
    new = "i" + old[1:]
    lines = _lines(text)
    if any(
        re.search(rf"(?<!\w){re.escape(new)}(?!\w)", lines[ln])
        for ln in range(block.start, block.last_line + 1)
    ):
        return None
    pat = re.compile(rf"(?<![\w$]){re.escape(old)}(?!\w)")
    for ln in range(block.start, block.last_line + 1):
        code = src.code[ln]
        spans = [m.span() for m in pat.finditer(code)]
        for a, b in reversed(spans):
            lines[ln] = lines[ln][:a] + new + lines[ln][b:]
    return Mutant(
        "wrong output rate",
        "\n".join(lines),
        st.line,
        (),
        frozenset({Code.OUTPUT_RATE, Code.ARG_TYPES}),
        True,
    )


def undefined_table(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    src = _src(text, table)
    cands = []
    for st in src.statements.values():
        if not st.is_call or st.opcode is None or st.opcode.text.startswith("ftgen"):
            continue  # ftgen defines a table rather than using one
        for pos in table.table_args.get(st.opcode.text, ()):
            if pos < len(st.args) and re.fullmatch(r"\d+", st.args[pos].text):
                cands.append((st, st.args[pos]))
    if not cands or "<CsScore" not in text:
        return None
    st, arg = rnd.choice(cands)
    used = {int(n) for n in re.findall(r"\b\d+\b", text) if len(n) < 6}
    n = next(k for k in range(97, 100000) if k not in used)
    lines = _lines(text)
    lines[st.line] = lines[st.line][: arg.start] + str(n) + lines[st.line][arg.end :]
    return Mutant(
        "undefined table", "\n".join(lines), st.line, (), frozenset({Code.UNDEFINED_TABLE}), True
    )


def zero_in_expseg(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    src = _src(text, table)
    cands = []
    for st in src.statements.values():
        if st.is_call and st.opcode and st.opcode.text in _EXP_OPCODES:
            parity = _EXP_OPCODES[st.opcode.text]
            levels = [a for i, a in enumerate(st.args) if i % 2 == parity and NUMBER.match(a.text)]
            if levels:
                cands.append((st, levels))
    if not cands:
        return None
    st, levels = rnd.choice(cands)
    arg = rnd.choice(levels)
    lines = _lines(text)
    lines[st.line] = lines[st.line][: arg.start] + "0" + lines[st.line][arg.end :]
    return Mutant("zero in expseg", "\n".join(lines), st.line, (), frozenset({Code.EXP_ZERO}), True)


def drop_header_line(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    if "<CsInstruments>" not in text:
        return None
    src = _src(text, table)

    class _Ctx:  # the header reader only needs `.src`
        pass

    ctx = _Ctx()
    ctx.src = src  # type: ignore[attr-defined]
    found = _header(ctx)  # type: ignore[arg-type]
    names = [k for k in ("sr", "ksmps", "nchnls", "0dbfs") if k in found]
    if not names or "kr" in found:
        return None
    name = rnd.choice(names)
    line = found[name][0]
    lines = _lines(text)
    del lines[line]
    also = (src.orc_open,) if src.orc_open is not None else ()
    codes = frozenset({Code.MISSING_HEADER, Code.MISSING_0DBFS, Code.OUTPUT_ARITY})
    return Mutant("drop header line", "\n".join(lines), line, also, codes, True)


def unbalanced_paren(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    src = _src(text, table)
    cands = [ln for ln in src.statements if ")" in src.code[ln]]
    if not cands:
        return None
    ln = rnd.choice(cands)
    code = src.code[ln]
    i = code.rindex(")")
    lines = _lines(text)
    lines[ln] = lines[ln][:i] + lines[ln][i + 1 :]
    return Mutant(
        "unbalanced parenthesis", "\n".join(lines), ln, (), frozenset({Code.SYNTAX}), False
    )


def undefined_variable(text: str, rnd: random.Random, table: OpcodeTable) -> Mutant | None:
    src = _src(text, table)
    cands = []
    for st in src.statements.values():
        if src.block_at(st.line) is None:
            continue
        for a in st.args:
            for m in IDENT.finditer(a.text):
                name = m.group(0)
                if re.fullmatch(r"[aki][A-Za-z]\w*", name) and name not in table:
                    cands.append((st.line, a.start + m.start(), a.start + m.end(), name))
    if not cands:
        return None
    ln, a, b, name = rnd.choice(cands)
    lines = _lines(text)
    lines[ln] = lines[ln][:a] + name + "Undef" + lines[ln][b:]
    return Mutant(
        "undefined variable",
        "\n".join(lines),
        ln,
        (),
        frozenset({Code.USED_BEFORE_DEFINED, Code.USED_BEFORE_ASSIGNED}),
        False,
    )


MUTATIONS: dict[str, Callable[[str, random.Random, OpcodeTable], Mutant | None]] = {
    "delete endin": delete_endin,
    "misspell opcode": misspell_opcode,
    "wrong output rate": wrong_output_rate,
    "undefined table": undefined_table,
    "zero in expseg": zero_in_expseg,
    "drop header line": drop_header_line,
    "unbalanced parenthesis": unbalanced_paren,
    "undefined variable": undefined_variable,
}
