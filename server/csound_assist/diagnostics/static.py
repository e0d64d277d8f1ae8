"""Static checks over the document, run alongside the compiler (which stops at its first error).

Each check yields diagnostics with a code and, where safe, fixes (see `model.Fix`); a fix marked
preferred is one that, when the diagnostic is the file's only problem, makes it compile.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from loguru import logger
from lsprotocol import types as lsp

from csound_assist import files
from csound_assist.diagnostics import antipatterns, csound7, includes
from csound_assist.diagnostics.model import Code, Edit, Fix, diagnostic
from csound_assist.diagnostics.opcodes import SINE_DEFAULT, OpcodeTable, default_table, levenshtein
from csound_assist.diagnostics.source import (
    IDENT,
    NUMBER,
    Block,
    Source,
    Statement,
    Token,
    kind_of,
    parse_source,
)

W = lsp.DiagnosticSeverity.Warning
HINT = lsp.DiagnosticSeverity.Hint
INFO = lsp.DiagnosticSeverity.Information
HEADER_DEFAULTS = {"sr": "44100", "ksmps": "32", "nchnls": "2", "0dbfs": "1"}
_HEADER = re.compile(r"^\s*(sr|kr|ksmps|nchnls|nchnls_i|0dbfs|A4)\s*=\s*([^\s;]*)")
_RESERVED = frozenset({"sr", "kr", "ksmps", "nchnls", "nchnls_i", "A4", "then", "ithen", "kthen",
                       "true", "false"})
_EXP_OPCODES = {"expseg": 0, "expsega": 0, "expsegr": 0, "expon": 0, "expsegb": 1, "expsegba": 1}
_OUT_OPCODES = {
    "out",
    "outs",
    "outch",
    "outq",
    "outh",
    "outo",
    "outx",
    "out32",
    "outs1",
    "outs2",
    "outq1",
    "outq2",
    "outq3",
    "outq4",
}
_OUT_FIXED = {"outs": 2, "outq": 4, "outh": 6, "outo": 8, "outx": 16, "out32": 32}
# The variable prefix → rate. `g` globals have the rate in the second letter.
_RATES = "akiSfw"
_TB = re.compile(r"tb\d+(?:_init)?")
# A Csound 7 annotation right after an output's name: `:a`, `@global:k` (group 1: the type).
_DECLARED = re.compile(r"(?:@global)?:([A-Za-z]\w*)")
# Opcodes that write into their arguments.
_WRITES_ARGS = frozenset({"midinoteoncps", "midinoteonkey", "midinoteonoct", "midinoteonpch"})

Check = Callable[["Context"], Iterator[lsp.Diagnostic]]


class Context:
    def __init__(
        self,
        text: str,
        kind: str,
        table: OpcodeTable,
        folder: Path | None,
        max_bytes: int = files.DEFAULT_MAX_BYTES,
    ) -> None:
        self.text = text
        self.kind = kind
        self.table = table
        self.folder = folder
        self.udo_names: set[str] = set()
        # Every include's text, or None when one is missing or refused (checks that need the
        # whole program then stay quiet; the compiler check reports refused includes).
        resolved = includes.resolve(text, folder, max_bytes)
        self.included = "\n".join(resolved.texts) if resolved.complete else None
        self.unresolved_include = self.included is None
        src_all = text + "\n" + (self.included or "")
        self.udo_names = set(re.findall(r"^\s*opcode\s+(\w+)", src_all, re.MULTILINE))
        # A Csound 7 file may call Csound 7's own opcodes (`create`, `delete`, …).
        self.csound7 = csound7.new_opcodes(text, table)
        # … and its typed names are variables even where a manual page has their name (`q:k`).
        self.declared = csound7.declared_names(text)
        self.src = parse_source(text, kind, self.is_opcode)

    def is_opcode(self, word: str) -> bool:
        if word in self.declared:
            return False
        # tb0 … tb15 (and their _init forms) share one manual page, `tb`.
        return (word in self.table or word in self.udo_names or _TB.fullmatch(word) is not None
                or word in self.csound7)

    def line_end(self, line: int) -> int:
        return len(self.src.lines[line])


def static_checks(
    text: str,
    path: str | Path | None = None,
    table: OpcodeTable | None = None,
    tree: object | None = None,  # accepted for API symmetry with the tree-based features; unused
    *,
    max_bytes: int = files.DEFAULT_MAX_BYTES,  # editor.max_file_bytes, for each included file
) -> list[lsp.Diagnostic]:
    """All static diagnostics for one document. A failing check is logged and skipped."""
    kind = kind_of(path, text)
    folder = Path(path).parent if path is not None else None
    ctx = Context(text, kind, table or default_table(), folder, max_bytes)
    out: list[lsp.Diagnostic] = []
    for check in CHECKS:
        try:
            out.extend(check(ctx))
        except Exception:  # noqa: BLE001 — one broken check must not hide the others
            logger.exception("static check {} failed", check.__name__)
    return out


# --- 1 & 11: blocks and closers -------------------------------------------------------------------


def check_blocks(ctx: Context) -> Iterator[lsp.Diagnostic]:
    src = ctx.src
    for b in src.blocks:
        if b.end is not None:
            continue
        closer = "endin" if b.kind == "instr" else "endop"
        at = _insert_line_after_block(src, b)
        head = src.lines[b.start]
        a = len(head) - len(head.lstrip())
        fix = Fix(f"Insert '{closer}'", (Edit((at, 0), (at, 0), closer + "\n"),), preferred=True)
        what = "instr" if b.kind == "instr" else "opcode"
        name = b.names[0].text if b.names else ""
        yield diagnostic(
            b.start,
            a,
            len(head.rstrip()),
            f"'{what} {name}' has no '{closer}'",
            Code.MISSING_END,
            fixes=[fix],
        )
    for tok in src.stray:
        owner = next((b for b in src.blocks if b.closer is tok), None)
        if owner is None:
            fix = Fix(f"Remove '{tok.text}'", (Edit((tok.line, 0), (tok.line + 1, 0), ""),), True)
            yield diagnostic(
                tok.line,
                tok.start,
                tok.end,
                f"'{tok.text}' without an open block",
                Code.MISPLACED,
                fixes=[fix],
            )
            continue
        right = "endin" if owner.kind == "instr" else "endop"
        fix = Fix(
            f"Replace with '{right}'",
            (Edit((tok.line, tok.start), (tok.line, tok.end), right),),
            preferred=True,
        )
        kind = "an instrument" if owner.kind == "instr" else "a UDO"
        yield diagnostic(
            tok.line,
            tok.start,
            tok.end,
            f"'{tok.text}' closes {kind}; use '{right}'",
            Code.MISPLACED,
            fixes=[fix],
        )


def _insert_line_after_block(src: Source, b: Block) -> int:
    """The line before which a missing closer goes: after the block's last non-blank line."""
    lines = [ln for ln in src.block_lines(b) if src.code[ln].strip()]
    last = lines[-1] if lines else b.start
    if b.end is None:
        later = [o.start for o in src.blocks if o.start > b.start]
        stop = (
            min(later)
            if later
            else (src.orc_close if src.orc_close is not None else len(src.lines))
        )
        body = [ln for ln in range(b.start + 1, stop) if src.code[ln].strip()]
        last = body[-1] if body else b.start
    return last + 1


_OPENERS = {"if": "endif", "while": "od", "until": "od", "for": "od", "switch": "endsw"}


def check_control_flow(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """`xin`/`xout` outside a UDO; unbalanced if/endif and while/until/od."""
    src = ctx.src
    for line, st in src.statements.items():
        op = st.opcode.text if st.opcode else ""
        if op in ("xin", "xout"):
            b = src.block_at(line)
            if b is None or b.kind != "opcode":
                where = "an instrument" if b is not None else "global code"
                yield diagnostic(
                    line,
                    st.opcode.start,
                    st.opcode.end,  # type: ignore[union-attr]
                    f"'{op}' is only valid inside a UDO (opcode … endop), not in {where}",
                    Code.MISPLACED,
                )
    for b in src.blocks:
        stack: list[tuple[str, Token]] = []
        for line in src.block_lines(b):
            st = src.statements.get(line)
            if st is None or st.opcode is None:
                continue
            word = st.opcode.text
            args = " ".join(a.text for a in st.args)
            if word == "if" and re.search(r"\b[ik]?then\b", args):
                stack.append(("endif", st.opcode))
            elif word in ("while", "until", "for"):
                stack.append(("od", st.opcode))
            elif word == "switch":  # Csound 7
                stack.append(("endsw", st.opcode))
            elif word in ("endif", "od", "enduntil", "endsw"):
                word = "od" if word == "enduntil" else word
                if stack and stack[-1][0] == word:
                    stack.pop()
                else:
                    yield diagnostic(
                        line,
                        st.opcode.start,
                        st.opcode.end,
                        f"'{word}' without a matching opener",
                        Code.MISPLACED,
                    )
        for closer, tok in stack:
            yield diagnostic(
                tok.line, tok.start, tok.end, f"'{tok.text}' has no '{closer}'", Code.MISSING_END
            )


# --- 2 & 7: header --------------------------------------------------------------------------------


def _header(ctx: Context) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for line in ctx.src.global_lines():
        m = _HEADER.match(ctx.src.code[line])
        if m:
            found[m.group(1)] = (line, m.group(2))
    return found


def _header_insert_line(ctx: Context) -> int:
    """After the last header assignment, else at the top of the orchestra."""
    src = ctx.src
    found = _header(ctx)
    if found:
        return max(line for line, _v in found.values()) + 1
    if src.orc_open is not None:
        return src.orc_open + 1
    return src.orc[0] if src.orc else 0


def check_header(ctx: Context) -> Iterator[lsp.Diagnostic]:
    if ctx.kind != "csd" or ctx.src.orc_open is None:
        return
    found = _header(ctx)
    missing = [
        k for k in HEADER_DEFAULTS if k not in found and not (k == "ksmps" and "kr" in found)
    ]
    if not missing:
        return
    at = _header_insert_line(ctx)
    new = "".join(f"{k} = {HEADER_DEFAULTS[k]}\n" for k in missing)
    fix = Fix(f"Insert {', '.join(missing)}", (Edit((at, 0), (at, 0), new),), preferred=True)
    tag = ctx.src.lines[ctx.src.orc_open]
    yield diagnostic(
        ctx.src.orc_open,
        0,
        len(tag.rstrip()),
        f"Orchestra header does not set {', '.join(missing)} "
        "(Csound falls back to sr = 44100, ksmps = 10, nchnls = 1, 0dbfs = 32768)",
        Code.MISSING_HEADER,
        severity=W,
        fixes=[fix],
    )


_AMP_FIRST = frozenset(
    {
        "oscil",
        "oscili",
        "poscil",
        "poscil3",
        "vco2",
        "vco",
        "buzz",
        "gbuzz",
        "pluck",
        "foscil",
        "foscili",
        "oscil3",
        "loscil",
        "rand",
        "noise",
        "pinkish",
        "linen",
        "linseg",
        "expseg",
        "madsr",
        "adsr",
        "line",
    }
)


def check_0dbfs(ctx: Context) -> Iterator[lsp.Diagnostic]:
    if ctx.kind == "sco" or "0dbfs" in _header(ctx) or ctx.unresolved_include:
        return
    if ctx.included and re.search(r"^\s*0dbfs\s*=", ctx.included, re.MULTILINE):
        return
    at = _header_insert_line(ctx)
    fix = Fix("Insert '0dbfs = 1'", (Edit((at, 0), (at, 0), "0dbfs = 1\n"),), preferred=True)
    for line, st in ctx.src.statements.items():
        if not st.is_call or st.opcode.text not in (
            "oscil",
            "oscili",
            "poscil",
            "vco2",
            "oscil3",
            "poscil3",
            "buzz",
            "gbuzz",
            "pluck",
            "foscil",
            "foscili",
            "vco",
            "rand",
            "noise",
        ):
            continue
        if st.args and NUMBER.match(st.args[0].text) and 0 < float(st.args[0].text) <= 1:
            a = st.args[0]
            yield diagnostic(
                line,
                a.start,
                a.end,
                f"Amplitude {a.text} assumes 0dbfs = 1, but 0dbfs is not set (default "
                "32768): this will be nearly silent",
                Code.MISSING_0DBFS,
                severity=W,
                fixes=[fix],
            )
            return


# --- 3 & 4: opcodes and output rates
# -----------------------------------------------------------------


def check_unknown_opcodes(ctx: Context) -> Iterator[lsp.Diagnostic]:
    if ctx.unresolved_include or not ctx.table.forms:
        return
    for line, st in ctx.src.statements.items():
        if st.opcode is None or "$" in ctx.src.code[line]:
            continue
        tok = st.opcode
        # (a lone variable-like word is more likely a half-typed line than an opcode)
        lone = not st.outputs and not st.args and _is_variable_like(tok.text)
        if st.is_call and not ctx.is_opcode(tok.text) and not lone:
            handled, renamed = csound7.renamed_opcode(ctx.text, ctx.table, ctx.table.version,
                                                      line, tok.start, tok.text)
            if renamed is not None:
                yield renamed
            elif not handled:
                rates = [var_rate(o.text) for o in st.outputs]
                yield csound7.unlisted(ctx.text, ctx.table.version,
                                       _unknown(ctx, tok, len(st.outputs), len(st.args), rates))
        for arg in st.args:  # function calls inside expressions: `abs(k1)`, `ampdbb(-6)`
            for m in re.finditer(r"(?<![\w$#.])([A-Za-z_]\w*)\s*\(", arg.text):
                name = m.group(1)
                if ctx.is_opcode(name) or name in KEYWORDS_IN_EXPR:
                    continue
                call = Token(name, line, arg.start + m.start(1), arg.start + m.end(1))
                handled, renamed = csound7.renamed_opcode(ctx.text, ctx.table, ctx.table.version,
                                                          line, call.start, name)
                if renamed is not None:
                    yield renamed
                elif not handled:
                    yield csound7.unlisted(ctx.text, ctx.table.version,
                                           _unknown(ctx, call, 1, -1, []))


KEYWORDS_IN_EXPR = frozenset({"then", "ithen", "kthen", "if", "elseif", "while", "until", "do"})


def _unknown(
    ctx: Context, tok: Token, n_out: int, n_in: int, rates: list[str | None]
) -> lsp.Diagnostic:
    """An unknown opcode with its nearest names; the nearest is preferred when unambiguous."""
    line = tok.line

    def fits(c: str) -> bool:
        return n_in < 0 or ctx.table.fits(c, n_out, n_in, rates)

    ranked = ctx.table.ranked_matches(tok.text, 5, fits)
    udo = [(u, float(levenshtein(u.lower(), tok.text.lower()))) for u in ctx.udo_names]
    ranked = sorted([*[u for u in udo if u[1] <= 2], *ranked], key=lambda cd: cd[1])[:5]
    matches = [c for c, _d in ranked]
    fit = [c in ctx.udo_names or fits(c) for c in matches]
    # Preferred only when one candidate is strictly nearest, or the only one as near that fits.
    unique = False
    if ranked and ranked[0][1] <= max(2, len(tok.text) // 3):
        best = [i for i, (_c, d) in enumerate(ranked) if d == ranked[0][1]]
        fitting = [i for i in best if fit[i]]
        pop = [ctx.table.popularity.get(matches[i], 0) for i in fitting]
        # A tie among fitting names goes to one used in 3× as many manual examples as the next.
        clear = len(pop) > 1 and sorted(pop)[-1] >= 3 * max(sorted(pop)[-2], 1)
        if len(best) == 1 or len(fitting) == 1 or clear:
            if len(best) == 1:
                first = best[0]
            elif len(fitting) == 1:
                first = fitting[0]
            else:
                first = fitting[pop.index(max(pop))]
            matches.insert(0, matches.pop(first))
            unique = True
    fixes = [
        Fix(
            f"Replace with '{m}'",
            (Edit((line, tok.start), (line, tok.end), m),),
            preferred=unique and i == 0,
        )
        for i, m in enumerate(matches)
    ]
    hint = f"; did you mean {', '.join(repr(m) for m in matches[:3])}?" if matches else ""
    what = "function" if n_in < 0 else "opcode"
    return diagnostic(
        line,
        tok.start,
        tok.end,
        f"Unknown {what} '{tok.text}'{hint}",
        Code.UNKNOWN_OPCODE,
        fixes=fixes,
    )


def _is_variable_like(word: str) -> bool:
    return bool(re.fullmatch(r"g?[akiSfw][A-Z_0-9]\w*", word))


def var_rate(name: str) -> str | None:
    body = name[1:] if name.startswith("g") and len(name) > 1 else name
    return body[0] if body and body[0] in _RATES else None


def check_output_rates(ctx: Context) -> Iterator[lsp.Diagnostic]:
    src = ctx.src
    for line, st in src.statements.items():
        if not st.is_call or st.opcode is None or st.opcode.text in ctx.udo_names:
            continue
        for pos, out in enumerate(st.outputs):
            # Csound 7 `sig:a`: the annotation is the rate, whatever the name.
            decl = _DECLARED.match(src.code[line], out.end)
            rate = (decl.group(1) if decl.group(1) in _RATES else None) if decl else var_rate(
                out.text)
            end = decl.end() if decl else out.end
            if rate is None or "[" in src.code[line][end : end + 1]:
                continue
            allowed = ctx.table.output_rates(st.opcode.text, pos)
            if allowed is None or rate in allowed:
                continue
            order = [r for r in "akiSfw" if r in allowed]
            block = src.block_at(line)
            if decl:
                fixes = [Fix(f"Declare '{out.text}' as :{r}",
                             (Edit((line, decl.start(1)), (line, decl.end(1)), r),), i == 0)
                         for i, r in enumerate(order)]
            else:
                fixes = [
                    _rename_fix(ctx, out, block, r, preferred=(i == 0))
                    for i, r in enumerate(order)
                ]
            shown = ", ".join(f"{r}-rate" for r in order)
            yield diagnostic(
                line,
                out.start,
                out.end,
                f"'{st.opcode.text}' cannot output {rate}-rate '{out.text}'; it outputs {shown}",
                Code.OUTPUT_RATE,
                fixes=fixes,
            )


def _rename_fix(ctx: Context, tok: Token, block: Block | None, rate: str, preferred: bool) -> Fix:
    g = (
        tok.text.startswith("g")
        and var_rate(tok.text) is not None
        and len(tok.text) > 1
        and tok.text[1] in _RATES
    )
    new = ("g" + rate + tok.text[2:]) if g else (rate + tok.text[1:])
    src = ctx.src
    if g or block is None:
        lines = range(len(src.lines))
    else:
        lines = range(block.start, src.block_lines(block).stop)
    taken = {m.group(0) for ln in lines for m in IDENT.finditer(src.code[ln])}
    base, n = new, 2
    while new in taken:
        new, n = f"{base}{n}", n + 1
    pat = re.compile(rf"(?<![\w$]){re.escape(tok.text)}(?!\w)")
    edits = tuple(
        Edit((ln, m.start()), (ln, m.end()), new)
        for ln in lines
        if ln in src.orc or block is None
        for m in pat.finditer(src.code[ln])
    )
    where = "the instrument" if block is not None and not g else "the file"
    return Fix(f"Rename '{tok.text}' to '{new}' throughout {where}", edits, preferred)


# --- 5: function tables -------------------------------------------------------------------------


def _defined_tables(ctx: Context) -> set[int]:
    tables: set[int] = set()
    for ev in ctx.src.score:
        if ev.letter.text == "f" and ev.fields:
            with contextlib.suppress(ValueError):
                tables.add(int(float(ev.fields[0].text)))
    everything = ctx.text + "\n" + (ctx.included or "")
    for m in re.finditer(r"\bftgen(?:once|tmp)?\s+(?:[^\n,]*?,\s*)?(\d+)\s*,", everything):
        tables.add(int(m.group(1)))
    for m in re.finditer(r"\bftgen(?:once)?\b\s*\(?\s*(\d+)", everything):
        tables.add(int(m.group(1)))
    return tables


def check_tables(ctx: Context) -> Iterator[lsp.Diagnostic]:
    if ctx.unresolved_include or ctx.kind in ("udo", "sco"):
        return
    if ctx.kind == "orc":  # an .orc's tables may live in its .sco or another file
        return
    defined = _defined_tables(ctx)
    has_score = any("<CsScore" in ln for ln in ctx.src.lines)
    for line, st in ctx.src.statements.items():
        if not st.is_call or st.opcode is None or st.opcode.text.startswith("ftgen"):
            continue  # ftgen defines a table rather than using one
        for pos in ctx.table.table_args.get(st.opcode.text, ()):
            if pos >= len(st.args):
                continue
            a = st.args[pos]
            if not re.fullmatch(r"\d+", a.text) or int(a.text) <= 0 or int(a.text) in defined:
                continue
            n = int(a.text)
            fixes = []
            if has_score:
                at = next(i for i, ln in enumerate(ctx.src.lines) if "<CsScore" in ln) + 1
                fixes.append(
                    Fix(
                        f"Add 'f {n} 0 16384 10 1' (a sine) to the score",
                        (Edit((at, 0), (at, 0), f"f {n} 0 16384 10 1\n"),),
                        preferred=True,
                    )
                )
            else:
                at = _header_insert_line(ctx)
                fixes.append(
                    Fix(
                        f"Create table {n} (a sine) with ftgen",
                        (Edit((at, 0), (at, 0), f"gi_table{n} ftgen {n}, 0, 16384, 10, 1\n"),),
                        preferred=True,
                    )
                )
            if st.opcode.text in SINE_DEFAULT and pos == len(st.args) - 1:
                prev = st.args[pos - 1]
                fixes.append(
                    Fix(
                        "Use 'poscil' with its internal sine (drop the table)",
                        (
                            Edit((line, prev.end), (line, a.end), ""),
                            Edit((line, st.opcode.start), (line, st.opcode.end), "poscil"),
                        ),
                        preferred=False,
                    )
                )
            yield diagnostic(
                line,
                a.start,
                a.end,
                f"Function table {n} is not defined by an 'f' statement or ftgen",
                Code.UNDEFINED_TABLE,
                fixes=fixes,
            )


# --- 6: exponential segments --------------------------------------------------------------------


def check_exp_segments(ctx: Context) -> Iterator[lsp.Diagnostic]:
    for line, st in ctx.src.statements.items():
        if not st.is_call or st.opcode is None or st.opcode.text not in _EXP_OPCODES:
            continue
        parity = _EXP_OPCODES[st.opcode.text]
        levels = [a for i, a in enumerate(st.args) if i % 2 == parity]
        values = [(a, float(a.text)) for a in levels if NUMBER.match(a.text)]
        signs = {v > 0 for _a, v in values if v != 0}
        for a, v in values:
            if v == 0:
                new = "-0.001" if signs == {False} else "0.001"
                fix = Fix(
                    f"Replace {a.text} with {new}",
                    (Edit((line, a.start), (line, a.end), new),),
                    preferred=True,
                )
                yield diagnostic(
                    line,
                    a.start,
                    a.end,
                    f"'{st.opcode.text}' cannot reach or start from 0 (exponential); "
                    f"use a small value such as {new}",
                    Code.EXP_ZERO,
                    fixes=[fix],
                )
        if len(signs) == 2:
            first = next(v for _a, v in values if v != 0)
            for a, v in values:
                if v != 0 and (v > 0) != (first > 0):
                    new = "0.001" if first > 0 else "-0.001"
                    fix = Fix(
                        f"Replace {a.text} with {new}",
                        (Edit((line, a.start), (line, a.end), new),),
                        preferred=False,
                    )
                    yield diagnostic(
                        line,
                        a.start,
                        a.end,
                        f"'{st.opcode.text}' values must not change sign",
                        Code.EXP_ZERO,
                        fixes=[fix],
                    )


# --- 8: score vs instruments --------------------------------------------------------------------


def check_score(ctx: Context) -> Iterator[lsp.Diagnostic]:
    src = ctx.src
    if ctx.kind != "csd" or ctx.unresolved_include:
        return
    instr_by_name: dict[str, Block] = {}
    for b in src.blocks:
        if b.kind == "instr":
            for n in b.names:
                instr_by_name[n.text.lstrip("+")] = b
    reads: dict[str, int] = {}
    for name, b in instr_by_name.items():
        ps = [
            int(m.group(1))
            for ln in src.block_lines(b)
            for m in re.finditer(r"(?<![\w$])p(\d+)\b", src.code[ln])
        ]
        reads[name] = max(ps, default=0)
    longest: dict[str, int] = {}
    for ev in src.score:
        if ev.letter.text != "i" or not ev.fields or "$" in src.code[ev.letter.line]:
            continue
        p1 = ev.fields[0].text
        name = (
            p1.strip('"')
            if p1.startswith('"')
            else (str(int(float(p1))) if NUMBER.match(p1) else None)
        )
        if name is None:
            continue
        line = ev.letter.line
        end = len(src.lines[line].rstrip())
        if name not in instr_by_name:
            yield diagnostic(
                line,
                ev.fields[0].start,
                ev.fields[0].end,
                f"Score calls instr {p1}, which is not defined",
                Code.SCORE_UNDEFINED_INSTR,
                severity=W,
            )
            continue
        count = len(ev.fields)
        longest[name] = max(longest.get(name, 0), count)
        need = reads.get(name, 0)
        if (
            longest[name] < need
        ):  # earlier events carry p-fields forward, so judge the longest so far
            missing = need - count
            fix = Fix(
                f"Append {missing} p-field{'s' if missing > 1 else ''} (0)",
                (Edit((line, end), (line, end), " 0" * missing),),
                preferred=False,
            )
            yield diagnostic(
                line,
                ev.letter.start,
                end,
                f"instr {name} reads p{need}, but this event has only {count} p-fields",
                Code.SCORE_PFIELDS,
                severity=W,
                fixes=[fix],
            )


# --- 9: output arity vs nchnls --------------------------------------------------------------------


def check_output_arity(ctx: Context) -> Iterator[lsp.Diagnostic]:
    if ctx.kind not in ("csd", "orc") or ctx.unresolved_include:
        return
    header = _header(ctx)
    set_at = header.get("nchnls")
    try:
        nchnls = int(float(set_at[1])) if set_at else 1
    except ValueError:
        return
    for line, st in ctx.src.statements.items():
        if not st.is_call or st.opcode is None or st.opcode.text not in _OUT_OPCODES:
            continue
        op, n = st.opcode.text, len(st.args)
        need = _OUT_FIXED.get(op, n if op == "out" else 0)
        if op == "outch":
            chans = [int(a.text) for i, a in enumerate(st.args) if i % 2 == 0 and a.text.isdigit()]
            need = max(chans, default=0)
        if need <= nchnls or need == 0:
            continue
        fixes = []
        if set_at is not None:
            line_h = set_at[0]
            m = _HEADER.match(ctx.src.code[line_h])
            assert m is not None
            fixes.append(
                Fix(
                    f"Set nchnls = {need}",
                    (Edit((line_h, m.start(2)), (line_h, m.end(2)), str(need)),),
                    preferred=True,
                )
            )
        else:
            at = _header_insert_line(ctx)
            fixes.append(
                Fix(
                    f"Insert 'nchnls = {need}'",
                    (Edit((at, 0), (at, 0), f"nchnls = {need}\n"),),
                    preferred=True,
                )
            )
        src_txt = f"nchnls = {nchnls}" if set_at else "nchnls is not set (1)"
        yield diagnostic(
            line,
            st.opcode.start,
            st.opcode.end,
            f"'{op}' writes {need} channels but {src_txt}",
            Code.OUTPUT_ARITY,
            severity=W,
            fixes=fixes,
        )


# --- 10: locals ----------------------------------------------------------------------------------


def check_locals(ctx: Context) -> Iterator[lsp.Diagnostic]:
    src = ctx.src
    for b in src.blocks:
        params: set[str] = set()
        if b.kind == "opcode":
            m = re.match(r"\s*opcode\s+\w+\s*\((.*?)\)", src.code[b.start])
            if m:
                params = {p.split(":")[0].strip().rstrip("[] ") for p in m.group(1).split(",")}
        labels = {
            st.label.text
            for ln in src.block_lines(b)
            if (st := src.statements.get(ln)) is not None and st.label is not None
        }
        params |= labels
        # Csound 7 names declared with a type in this block (`freq:i = p4`) are locals too,
        # whatever their first letter; `@global` ones are not.
        typed = {
            out.text
            for ln in src.block_lines(b)
            if (st := src.statements.get(ln)) is not None
            for out in st.outputs
            if (d := _DECLARED.match(src.code[ln], out.end)) is not None
            and not d.group(0).startswith("@")
        }

        def local(name: str, typed: set[str] = typed) -> bool:
            return _is_local(name) or name in typed

        assigned: dict[str, Token] = {}
        read: set[str] = set()
        reported: set[str] = set()
        for line in src.block_lines(b):
            st = src.statements.get(line)
            if st is None:
                continue
            if st.opcode is not None and st.opcode.text in _WRITES_ARGS:
                for a in st.args:
                    assigned.setdefault(a.text, Token(a.text, line, a.start, a.end))
            macro = "$" in src.code[line]  # a macro can define or read anything
            for a in [] if macro else st.args:
                for m in re.finditer(r"(?<![\w$#.@])([A-Za-z_]\w*)(?!\w)(\s*\()?", a.text):
                    name = m.group(1)
                    if name in params:
                        read.add(name)  # a new-style UDO's parameter: defined by the header
                    opcode = ctx.is_opcode(name) and name not in typed  # `q:Pair`, not `q`
                    if m.group(2) or not local(name) or name in params or opcode:
                        continue
                    read.add(name)
                    if name not in assigned and name not in reported:
                        reported.add(name)
                        col = a.start + m.start(1)
                        yield diagnostic(
                            line,
                            col,
                            col + len(name),
                            f"'{name}' is used before it is assigned",
                            Code.USED_BEFORE_ASSIGNED,
                        )
            for out in st.outputs:
                assigned.setdefault(out.text, out)
        for name, tok in assigned.items():
            if name not in read and local(name) and not name.startswith(("S", "f", "w")):
                yield diagnostic(
                    tok.line,
                    tok.start,
                    tok.end,
                    f"'{name}' is assigned but never used",
                    Code.UNUSED_VARIABLE,
                    severity=HINT,
                    tags=[lsp.DiagnosticTag.Unnecessary],
                )


# --- CSD tags (see tags.py for what Csound does with each) -------------------------------------


def check_tags(ctx: Context) -> Iterator[lsp.Diagnostic]:
    if ctx.kind != "csd":
        return
    from csound_assist.diagnostics.tags import tag_problems

    codes = {"shared-line": Code.CSD_TAG_LINE, "xml-block": Code.XML_BLOCK}
    for p in tag_problems(ctx.text):
        # Csound 6.18 accepts the root tag in another case; every other problem loses code.
        root_case = p.kind == "case" and "accepts it" in p.message
        yield diagnostic(
            p.line,
            p.start,
            p.end,
            p.message,
            codes.get(p.kind, Code.CSD_TAG),
            severity=W if root_case else lsp.DiagnosticSeverity.Error,
            fixes=[Fix(p.title, p.edits, preferred=True)],
        )


def check_csound7(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """Csound 7 syntax while the installed Csound is 6.x: one note (see `csound7`)."""
    yield from csound7.check(ctx.text.encode("utf-8"), ctx.table.version)


def _is_local(name: str) -> bool:
    return name not in _RESERVED and re.fullmatch(r"[akiSfw]\w*", name) is not None


CHECKS: list[Check] = [
    check_csound7,
    check_tags,
    check_blocks,
    check_control_flow,
    check_header,
    check_0dbfs,
    check_unknown_opcodes,
    check_output_rates,
    check_tables,
    check_exp_segments,
    check_score,
    check_output_arity,
    check_locals,
    *antipatterns.CHECKS,
]

__all__ = ["CHECKS", "Context", "static_checks", "var_rate", "Statement"]
