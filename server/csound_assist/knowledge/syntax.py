"""Manual syntax lines → argument names, matched onto `csound -z1` overloads.

`asig moogladder ain, kcf, kres[, istor]` gives outputs ["asig"] and inputs ain, kcf, kres, istor
(istor optional). Each overload takes its names from the syntax line of the same opcode whose names'
rate prefixes agree best with its type codes; a name whose rate contradicts the code is re-prefixed
(`kcf` for an a-rate position becomes `acf`), and positions the manual does not name get generic
names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from csound_assist.knowledge import types
from csound_assist.knowledge.model import Signature

_IDENT = re.compile(r"[A-Za-z_]\w*(?:\[\])*")
_PIECES = re.compile(r"\[\]|\[|\]|,|[^\[\],]+")


@dataclass(slots=True)
class Arg:
    name: str
    optional: bool = False
    variadic: bool = False


@dataclass(slots=True)
class SyntaxForm:
    outputs: list[Arg]
    inputs: list[Arg]


def _args(text: str) -> list[Arg]:
    out: list[Arg] = []
    depth, piece, opt = 0, "", False

    def flush() -> None:
        nonlocal piece, opt
        m = _IDENT.search(piece)
        variadic = "..." in piece or "…" in piece
        if m:
            out.append(Arg(m.group(0), opt, variadic))
        elif variadic and out:
            out[-1].variadic = True
        piece, opt = "", False

    for tok in _PIECES.findall(text):
        if tok == "[]":
            piece += tok
        elif tok == "[":
            depth += 1
        elif tok == "]":
            depth = max(0, depth - 1)
        elif tok == ",":
            flush()
        else:
            if tok.strip() and not piece.strip():
                opt = depth > 0
            piece += tok
    flush()
    return out


def find_word(line: str, name: str) -> int:
    """Where `name` stands as the opcode in `line` (not inside another word), or -1."""
    start = 0
    while (at := line.find(name, start)) >= 0:
        end = at + len(name)
        if (at == 0 or line[at - 1] in " \t,=") and (end == len(line) or line[end] in " \t([,"):
            return at
        start = at + 1
    return -1


def _parenthesised(text: str) -> str:
    """The inside of the parenthesis `text` starts with: `(x) (no rate restriction)` → `x`."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return text[1:i]
    return text[1:]


def parse_syntax(line: str, name: str) -> SyntaxForm | None:
    """The outputs and inputs of one syntax line of opcode `name`, or None if `name` is absent."""
    at = find_word(line, name)
    if at < 0:
        return None
    left, right = line[:at], line[at + len(name):]
    if right.lstrip().startswith("("):  # function form: `abs(x)`
        right = _parenthesised(right.lstrip())
    left = left.split("=")[0] if "=" in left else left
    return SyntaxForm(_args(left), _args(right))


def _compat(token: str, name: str, *, output: bool) -> int:
    rate = types.name_rate(name)
    if rate is None:
        return 0
    accepted = types.rates(token, output=output)
    if rate == types.base_code(token) or accepted == rate:
        return 2
    if rate == "x" and set(accepted) & set("ak"):
        return 1
    if rate in accepted:
        return 1
    return -3


def _score(tokens: list[str], args: list[Arg], *, output: bool) -> int:
    score = 0
    for i, tok in enumerate(tokens):
        if i >= len(args):
            score -= 0 if types.is_variadic(tok, output=output) else 2
            continue
        score += _compat(tok, args[i].name, output=output)
        if not output and args[i].optional != types.is_optional(tok):
            score -= 1
    if len(args) > len(tokens) and not any(types.is_variadic(t, output=output) for t in tokens):
        score -= 2 * (len(args) - len(tokens))
    return score


def _adapt(name: str, token: str, *, output: bool) -> str | None:
    """`kcf` at an a-rate position → `acf`; None when the name cannot be made to fit."""
    if _compat(token, name, output=output) >= 0:
        return name
    rate = types.name_rate(name)
    want = types.rates(token, output=output)[:1]
    if rate in ("a", "k", "i", "S") and want in ("a", "k", "i", "S"):
        return want + name[1:]
    return None


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}{seen[n]}")
        else:
            seen[n] = 1
            out.append(n)
    return out


def _names(tokens: list[str], args: list[Arg], *, output: bool) -> tuple[str, ...]:
    names = []
    for i, tok in enumerate(tokens):
        name = _adapt(args[i].name, tok, output=output) if i < len(args) else None
        names.append(name or types.generic_name(tok, output=output))
    return tuple(_dedupe(names))


def name_signature(sig: Signature, name: str, lines: list[str]) -> Signature:
    """`sig` with argument names from the best-matching manual syntax line (unchanged if none)."""
    forms = [f for f in (parse_syntax(line, name) for line in lines) if f is not None]
    if not forms:
        return sig
    ins, outs = sig.input_tokens(), sig.output_tokens()
    best = max(forms, key=lambda f: _score(ins, f.inputs, output=False)
               + _score(outs, f.outputs, output=True))
    return Signature(sig.outputs, sig.inputs, _names(ins, best.inputs, output=False),
                     _names(outs, best.outputs, output=True))
