"""Static checks for the mistakes AI models make in Csound (kunstmusik/csound-ai-reference's
anti-pattern catalogue); ANTIPATTERNS.md maps every item of the catalogue to its check, or says why
it has none. Each check reads the static checks' view of the document (`Context.src`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from csound_assist.diagnostics.model import Code, Edit, Fix, diagnostic
from csound_assist.diagnostics.source import Block, Statement, Token
from csound_assist.knowledge import types as kt

if TYPE_CHECKING:
    from csound_assist.diagnostics.static import Context

W = lsp.DiagnosticSeverity.Warning
HINT = lsp.DiagnosticSeverity.Hint

_NEW_UDO = re.compile(r"\s*opcode\s+\w+\s*\(")
_BARE_UDO = re.compile(r"\s*opcode\s+(\w+)\s*$")
_NEW_RETURNS = re.compile(r"\)\s*:\s*(\([^)]*\)|\w+(?:\[\])*)")
_VAR_RATE = re.compile(r"g?([akiSf])[A-Za-z0-9_]")
# Segment generators: which argument counts are valid (count % step == rest).
_SEGMENTS = {"linseg": (2, 1), "expseg": (2, 1), "linsegr": (2, 1), "expsegr": (2, 1),
             "expsega": (2, 1), "cosseg": (2, 1), "linsegb": (2, 1), "expsegb": (2, 1),
             "expsegba": (2, 1), "cossegb": (2, 1), "transeg": (3, 1), "transegb": (3, 1)}
# Envelopes with a release segment run after note-off: their durations do not fill p3.
_RELEASE_ENVELOPES = frozenset({"linsegr", "expsegr", "cossegr", "transegr", "madsr", "mxadsr",
                                "linenr"})
_CHANNEL_OPCODES = frozenset({"chnset", "chnget", "chnexport", "chnparams", "chn_k", "chn_a",
                              "chn_S", "chnmix", "chnclear", "chngetks", "chnsetks", "chngeti",
                              "chnseti", "chngetk", "chnsetk", "chngeta", "chnseta", "chngets",
                              "chnsets", "invalue", "outvalue"})
_STRING = re.compile(r'"([^"\n]*)"')
_CALL_SUFFIX = re.compile(r"\b([A-Za-z_]\w*)(\s*\((?:[^()]|\([^()]*\))*\))(:[aikS])\b")


def _block_statements(ctx: Context, b: Block) -> Iterator[tuple[int, Statement]]:
    for line in ctx.src.block_lines(b):
        st = ctx.src.statements.get(line)
        if st is not None and st.opcode is not None:
            yield line, st


def _prefix_types(names: list[str]) -> str | None:
    """Type letters from rate prefixes (`aSig, kCut` → "ak"); None when a name has none."""
    out = []
    for name in names:
        m = _VAR_RATE.match(name)
        if m is None:
            return None
        out.append(m.group(1) + ("[]" if name.endswith("]") else ""))
    return "".join(out)


# --- 3: a UDO header without types -----------------------------------------------------------


def check_udo_header(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """`opcode MyFilter` alone: neither the old `opcode Name, outs, ins` nor the new
    `opcode Name(ins):outs` form, which Csound rejects with a bare syntax error."""
    for b in ctx.src.blocks:
        code = ctx.src.code[b.start]
        m = _BARE_UDO.match(code)
        if b.kind != "opcode" or m is None:
            continue
        ins = outs = None
        for _line, st in _block_statements(ctx, b):
            word = st.opcode.text  # type: ignore[union-attr]
            if word == "xin":
                ins = _prefix_types([o.text for o in st.outputs]) or None
            elif word == "xout":
                outs = _prefix_types([a.text for a in st.args])
        fixes = []
        if ins is not None and outs is not None:
            fixes.append(Fix(f"Declare it as 'opcode {m.group(1)}, {outs or '0'}, {ins}'",
                             (Edit((b.start, m.end(1)), (b.start, len(code.rstrip())),
                                   f", {outs or '0'}, {ins}"),), preferred=True))
        yield diagnostic(
            b.start, m.start(1), m.end(1),
            f"'opcode {m.group(1)}' needs its types: write the classic 'opcode {m.group(1)}, "
            f"outtypes, intypes' (with xin) or Csound 7's 'opcode {m.group(1)}(inputs):outputs'",
            Code.UDO_HEADER, fixes=fixes,
        )


# --- 7, 9, 16: xin and xout against the header --------------------------------------------------


def check_udo_io(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """Old-style UDOs read their inputs with xin; new-style ones name them in the header and take
    no xin; xout gives as many values as the header declares outputs."""
    for b in ctx.src.blocks:
        if b.kind != "opcode" or not b.names:
            continue
        header = ctx.src.code[b.start]
        new_style = _NEW_UDO.match(header) is not None
        if not new_style and _BARE_UDO.match(header):
            continue  # check_udo_header says it
        name = b.names[0].text
        xins = [(line, st) for line, st in _block_statements(ctx, b) if st.opcode.text == "xin"]  # type: ignore[union-attr]
        xouts = [(line, st) for line, st in _block_statements(ctx, b)
                 if st.opcode.text == "xout"]  # type: ignore[union-attr]
        if new_style:
            for line, st in xins:
                yield diagnostic(
                    line, st.opcode.start, st.opcode.end,  # type: ignore[union-attr]
                    f"'{name}' names its inputs in its header ('{header.strip()}'): they are "
                    "variables already, and this form takes no xin; delete this line",
                    Code.NEW_UDO_XIN,
                    fixes=[Fix("Delete the xin line", (Edit((line, 0), (line + 1, 0), ""),),
                               preferred=True)],
                )
            returns = _NEW_RETURNS.search(header)
            out_types = "" if returns is None else returns.group(1).strip("()").replace(" ", "")
            # One type per comma (`:(a,a)`, `:Note`, `:k[]`); `:aa` is not said to be two.
            declared = [] if out_types in ("", "void") else [t for t in out_types.split(",") if t]
            if len(declared) == 1 and re.fullmatch(r"[aikSfbB]{2,}", declared[0]):
                continue
        else:
            declared = [] if b.out_types in ("0", "") else kt.split_codes(b.out_types)
            takes = [] if b.in_types in ("0", "") else kt.split_codes(b.in_types)
            if takes and not xins:
                yield diagnostic(
                    b.start, b.names[0].start, b.names[0].end,
                    f"'{name}' takes {len(takes)} input{'s' if len(takes) > 1 else ''} "
                    f"('{b.in_types}') but never reads them: add '<names> xin' as its first line "
                    f"(one variable per type), or use the form 'opcode {name}(…):…' that names "
                    "them in the header",
                    Code.UDO_NO_XIN,
                )
        if new_style and _NEW_RETURNS.search(header) is None:
            continue  # no return list to count against
        for line, st in xouts:
            if len(st.args) == len(declared) or any("$" in a.text for a in st.args):
                continue
            shown = "".join(declared) or "nothing"
            yield diagnostic(
                line, st.opcode.start, st.opcode.end,  # type: ignore[union-attr]
                f"'{name}' declares {len(declared)} output{'s' if len(declared) != 1 else ''} "
                f"({shown}) but this xout gives {len(st.args)}: give one value per declared "
                "output, or change the declaration",
                Code.XOUT_COUNT,
            )


# --- 4, 18: cpsmidi with arguments ----------------------------------------------------------------


def check_cpsmidi_args(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """cpsmidi reads the note of the MIDI event that started the instrument: it takes no argument.
    A MIDI note number converts with cpsmidinn."""
    for line, st in ctx.src.statements.items():
        if st.opcode is None:
            continue
        spots: list[Token] = []
        if st.opcode.text == "cpsmidi" and st.args:
            spots.append(st.opcode)
        for a in st.args:
            for m in re.finditer(r"(?<![\w$#.])cpsmidi\s*\(\s*[^)\s]", a.text):
                spots.append(Token("cpsmidi", line, a.start + m.start(), a.start + m.start() + 7))
        for tok in spots:
            yield diagnostic(
                line, tok.start, tok.end,
                "cpsmidi takes no arguments (it reads the note of the MIDI event that started "
                "this instrument); to convert a MIDI note number use cpsmidinn",
                Code.CPSMIDI_ARGS,
                fixes=[Fix("Replace with 'cpsmidinn'",
                           (Edit((line, tok.start), (line, tok.end), "cpsmidinn"),),
                           preferred=True)],
            )


# --- 6: segment counts ------------------------------------------------------------------------


def check_segment_count(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """linseg and friends take value, duration, value, …: an even count leaves the last duration
    with no value to reach (Csound accepts it silently and holds the last value)."""
    for line, st in ctx.src.statements.items():
        if not st.is_call or st.opcode is None or st.opcode.text not in _SEGMENTS:
            continue
        if any("$" in a.text for a in st.args) or len(st.args) < 2:
            continue
        step, rest = _SEGMENTS[st.opcode.text]
        n = len(st.args)
        if n % step == rest:
            continue
        shape = ("value, duration, value, …" if step == 2
                 else "value, duration, curve type, value, …")
        valid = ", ".join(str(k) for k in range(rest + step, rest + 3 * step + 1, step))
        yield diagnostic(
            line, st.opcode.start, st.opcode.end,
            f"'{st.opcode.text}' takes {shape} ({valid}, … arguments): {n} given, so the last "
            "segment has no value to reach; add the final value",
            Code.SEGMENT_COUNT, severity=W,
        )


# --- 10: global accumulators never cleared ----------------------------------------------------


def _accumulates(st: Statement, name: str) -> bool:
    if len(st.outputs) != 1 or st.outputs[0].text != name or st.opcode is None:
        return False
    if st.opcode.text == "+=":
        return True
    return st.opcode.text == "=" and bool(st.args) and re.match(
        rf"\s*{re.escape(name)}\s*\+|.*\+\s*{re.escape(name)}\s*$", st.args[0].text) is not None


def check_global_accumulators(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """A global audio bus added to by instruments (`gaRev += aSig`) and never cleared keeps every
    earlier k-cycle's signal: it grows without bound. Clear it where it is read."""
    if ctx.unresolved_include:
        return
    src = ctx.src
    added: dict[str, tuple[int, Token]] = {}
    cleared: set[str] = set()
    readers: dict[str, set[int]] = {}
    for b in src.blocks:
        for line, st in _block_statements(ctx, b):
            word = st.opcode.text  # type: ignore[union-attr]
            for out in st.outputs:
                if not out.text.startswith("ga"):
                    continue
                if _accumulates(st, out.text):
                    added.setdefault(out.text, (line, out))
                elif word == "=" and st.args and st.args[0].text.strip() in ("0", "0.0"):
                    cleared.add(out.text)
                elif word not in ("init",):
                    cleared.add(out.text)  # written whole each pass: not an accumulator
            if word in ("clear", "vincr") or word.startswith("mixer"):
                cleared.update(a.text.strip() for a in st.args)
            if not st.outputs or not _accumulates(st, st.outputs[0].text):
                for a in st.args:
                    for m in re.finditer(r"(?<![\w$#.])(ga\w+)", a.text):
                        readers.setdefault(m.group(1), set()).add(b.start)
    for name, (line, tok) in added.items():
        if name in cleared:
            continue
        reading = [b for b in src.blocks if b.start in readers.get(name, set())]
        fixes = []
        if len(reading) == 1 and reading[0].end is not None:
            end = reading[0].end
            fixes.append(Fix(f"Insert 'clear {name}' at the end of {reading[0].kind} "
                             f"{reading[0].names[0].text if reading[0].names else ''}".rstrip(),
                             (Edit((end, 0), (end, 0), f"  clear {name}\n"),), preferred=True))
        yield diagnostic(
            line, tok.start, tok.end,
            f"'{name}' is added to but never cleared, so it keeps every earlier signal and grows "
            f"without bound: clear it after it is read ('clear {name}' at the end of the "
            "instrument that reads it)",
            Code.GLOBAL_ACCUMULATOR, severity=W, fixes=fixes,
        )


# --- 14: p3 inside release envelopes ------------------------------------------------------------


def check_release_p3(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """linsegr and the other release envelopes stretch their sustain to the note's end and run
    the release after note-off: a segment computed from p3 overshoots."""
    for line, st in ctx.src.statements.items():
        if not st.is_call or st.opcode is None or st.opcode.text not in _RELEASE_ENVELOPES:
            continue
        for a in st.args[:-2] if st.opcode.text.endswith("r") else st.args:
            if re.search(r"(?<![\w$#.])p3\b", a.text):
                yield diagnostic(
                    line, a.start, a.end,
                    f"'{st.opcode.text}' holds its last level until note-off and then runs its "
                    "release: a segment computed from p3 overshoots when the note ends early; "
                    "give the attack and decay their own durations",
                    Code.RELEASE_P3, severity=HINT,
                )


# --- 15: channel names with spaces --------------------------------------------------------------


def check_channel_names(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """A channel name with blanks: hosts and widgets (Cabbage, CsoundQt) take names without."""
    src = ctx.src
    for line, st in src.statements.items():
        if st.opcode is None or st.opcode.text not in _CHANNEL_OPCODES:
            continue
        raw = src.lines[line]
        for a in st.args:
            m = _STRING.fullmatch(raw[a.start:a.end].strip())
            if m is None or not re.search(r"\s", m.group(1)):
                continue
            new = re.sub(r"\s+", "_", m.group(1).strip())
            edits = tuple(
                Edit((ln, s.start()), (ln, s.end()), f'"{new}"')
                for ln, text in enumerate(src.lines)
                for s in re.finditer(re.escape(f'"{m.group(1)}"'), text)
            )
            yield diagnostic(
                line, a.start, a.end,
                f"Channel name '{m.group(1)}' has blanks, which hosts and widget channels do not "
                f"take: use a name without, such as '{new}'",
                Code.CHANNEL_NAME, severity=W,
                fixes=[Fix(f"Rename the channel to '{new}' everywhere in this file", edits)],
            )


# --- 17: a type suffix after the call ---------------------------------------------------------


def check_type_suffix(ctx: Context) -> Iterator[lsp.Diagnostic]:
    """`linen(1, 0, p3, .01):a`: the rate goes on the opcode name, `linen:a(…)`."""
    for line, code in enumerate(ctx.src.code):
        if line not in ctx.src.statements:
            continue
        for m in _CALL_SUFFIX.finditer(code):
            name, args, suffix = m.group(1), m.group(2), m.group(3)
            yield diagnostic(
                line, m.start(3), m.end(3),
                f"The rate goes on the opcode name, not after the call: write "
                f"'{name}{suffix}{args.strip()}'",
                Code.TYPE_SUFFIX,
                fixes=[Fix(f"Write '{name}{suffix}(…)'",
                           (Edit((line, m.start()), (line, m.end()),
                                 f"{name}{suffix}{args.lstrip()}"),), preferred=True)],
            )


CHECKS = [check_udo_header, check_udo_io, check_cpsmidi_args, check_segment_count,
          check_global_accumulators, check_release_p3, check_channel_names, check_type_suffix]
