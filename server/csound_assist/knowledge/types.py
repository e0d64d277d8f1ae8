"""Csound's opcode type codes (the OENTRY letters that `csound -z1` prints), decoded.

The letters follow the comment block at the top of Csound's `Engine/entry1.c` and the UDO table
in the manual (`opcode.html`): plain rates (a k i S f w), "x" for a-or-k, optional inputs that
default to a constant (o p q v j h at i-time, O J V P at k-time), and var-arg letters that begin an
open list of arguments (m M N n y z Z W *). A trailing `[]` makes any of them an array. In `-z1`
output a var-arg output is written as a run of its letter (`mmmm` = up to four audio outputs); a run
is one group here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r".(?:\[\])*")


@dataclass(frozen=True, slots=True)
class TypeCode:
    code: str
    rates: str  # the variable rates this position takes or yields: a k i S f w b (b = boolean)
    description: str
    optional: bool = False
    default: str | None = None
    variadic: bool = False
    generic_name: str = "arg"  # an argument name when the manual offers none


def _t(code: str, rates: str, description: str, generic: str, **kw: object) -> TypeCode:
    return TypeCode(code, rates, description, generic_name=generic, **kw)  # type: ignore[arg-type]


INPUT_CODES: dict[str, TypeCode] = {
    c.code: c
    for c in (
        _t("a", "a", "audio-rate signal", "ain"),
        _t("k", "ki", "control-rate value", "kval"),
        _t("K", "ki", "control-rate value, also read at init time", "kval"),
        _t("i", "i", "init-time value", "ival"),
        _t("S", "S", "string", "Sval"),
        _t("f", "f", "streaming spectral signal (fsig)", "fsig"),
        _t("w", "w", "spectral signal (wsig)", "wsig"),
        _t("x", "aki", "audio- or control-rate value", "xval"),
        _t("T", "Si", "string or init-time value", "Sval"),
        _t("U", "Sik", "string, init- or control-rate value", "Sval"),
        _t("B", "b", "control-rate boolean condition", "kcond"),
        _t("b", "b", "init-time boolean condition", "icond"),
        _t("l", "", "label", "label"),
        _t(".", "akiSfw", "argument of any type", "xarg"),
        _t("?", "akiSfw", "optional argument of any type", "xarg", optional=True),
        _t("o", "i", "optional init-time value", "iopt", optional=True, default="0"),
        _t("p", "i", "optional init-time value", "iopt", optional=True, default="1"),
        _t("q", "i", "optional init-time value", "iopt", optional=True, default="10"),
        _t("v", "i", "optional init-time value", "iopt", optional=True, default="0.5"),
        _t("j", "i", "optional init-time value", "iopt", optional=True, default="-1"),
        _t("h", "i", "optional init-time value", "iopt", optional=True, default="127"),
        _t("O", "ki", "optional control-rate value", "kopt", optional=True, default="0"),
        _t("J", "ki", "optional control-rate value", "kopt", optional=True, default="-1"),
        _t("V", "ki", "optional control-rate value", "kopt", optional=True, default="0.5"),
        _t("P", "ki", "optional control-rate value", "kopt", optional=True, default="1"),
        _t("m", "i", "any number of init-time values", "iarg", variadic=True),
        _t("n", "i", "an odd number of init-time values", "iarg", variadic=True),
        _t("M", "aki", "any number of a-, k- or i-rate values", "xarg", variadic=True),
        _t("N", "akiS", "any number of a-, k-, i-rate or string values", "xarg", variadic=True),
        _t("y", "a", "any number of audio signals", "ain", variadic=True),
        _t("z", "ki", "any number of control-rate values", "kval", variadic=True),
        _t("Z", "aki", "any number of alternating control- and audio-rate values", "xarg",
           variadic=True),
        _t("W", "S", "any number of strings", "Sval", variadic=True),
        _t("*", "akiSfw", "any number of arguments of any type", "xarg", variadic=True),
    )
}

OUTPUT_CODES: dict[str, TypeCode] = {
    c.code: c
    for c in (
        _t("a", "a", "audio-rate signal", "aout"),
        _t("k", "k", "control-rate value", "kout"),
        _t("K", "k", "control-rate value, also set at init time", "kout"),
        _t("i", "i", "init-time value", "iout"),
        _t("S", "S", "string", "Sout"),
        _t("f", "f", "streaming spectral signal (fsig)", "fsig"),
        _t("w", "w", "spectral signal (wsig)", "wsig"),
        _t("b", "b", "init-time boolean", "bout"),
        _t("B", "b", "control-rate boolean", "bout"),
        _t("s", "ak", "audio- or control-rate value (legacy)", "xout"),
        _t(".", "akiSfw", "value of any type", "xout"),
        _t("m", "a", "several audio signals", "aout", variadic=True),
        _t("z", "k", "several control-rate values", "kout", variadic=True),
        _t("I", "i", "several init-time values", "iout", variadic=True),
        _t("X", "aki", "several a-, k- or i-rate values", "xout", variadic=True),
        _t("N", "akiS", "several a-, k-, i-rate or string values", "xout", variadic=True),
        _t("F", "f", "several fsigs", "fsig", variadic=True),
        _t("*", "akiSfw", "several values of any type", "xout", variadic=True),
    )
}

ANY_RATES = "akiSfw"
_UNKNOWN = TypeCode("?", ANY_RATES, "argument", generic_name="arg")

# The same tables reduced to code → rates, for callers that only ask which rates fit.
IN_RATES: dict[str, str] = {code: info.rates for code, info in INPUT_CODES.items()}
OUT_RATES: dict[str, str] = {code: info.rates for code, info in OUTPUT_CODES.items()}


def split_codes(codes: str) -> list[str]:
    """`"k[]ao"` → `["k[]", "a", "o"]`; `csound -z1`'s `(null)` and `""` → `[]`."""
    if not codes or codes == "(null)":
        return []
    return _TOKEN.findall(codes)


def group_codes(codes: str, *, output: bool) -> list[str]:
    """Tokens with each run of one var-arg letter folded to a single token (`mmmm` → `m`)."""
    table = OUTPUT_CODES if output else INPUT_CODES
    out: list[str] = []
    for tok in split_codes(codes):
        info = table.get(tok)
        if out and out[-1] == tok and info is not None and info.variadic:
            continue
        out.append(tok)
    return out


def base_code(token: str) -> str:
    return token[:1]


def is_array(token: str) -> bool:
    return token.endswith("[]")


def lookup(token: str, *, output: bool) -> TypeCode:
    table = OUTPUT_CODES if output else INPUT_CODES
    return table.get(base_code(token), _UNKNOWN)


def is_optional(token: str) -> bool:
    return not is_array(token) and lookup(token, output=False).optional


def is_variadic(token: str, *, output: bool = False) -> bool:
    return not is_array(token) and lookup(token, output=output).variadic


def rates(token: str, *, output: bool) -> str:
    """Variable rates a position takes (input) or yields (output), e.g. "ki" for `O`."""
    return lookup(token, output=output).rates


def describe(token: str, *, output: bool = False) -> str:
    """Readable meaning of one token: `"o"` → "optional init-time value (default 0)"."""
    info = lookup(token, output=output)
    text = info.description
    if info.default is not None:
        text += f" (default {info.default})"
    if is_array(token):
        dims = token.count("[]")
        text = f"{'array' if dims == 1 else f'{dims}-d array'} of {text}"
    return text


def generic_name(token: str, *, output: bool) -> str:
    name = lookup(token, output=output).generic_name
    if is_array(token):
        letter = base_code(token)
        prefix = letter if letter in "akiSfw" else "x"
        name = prefix + ("arr" if output is False else "out") + "[]" * token.count("[]")
    return name


def name_rate(name: str) -> str | None:
    """The rate a Csound variable name announces by its first letter (`kcf` → k), or None."""
    if len(name) >= 2 and name[0] in "akiSfwx" and (name[1].isalnum() or name[1] in "_["):
        return name[0]
    if name in {"a", "k", "i", "S", "f", "x"}:
        return name
    return None
