"""Read-only helpers over the knowledge base (`csound_assist.knowledge`) shared by the feature
engines.

Every function accepts `kb=None` (the knowledge base still loading) and then returns an empty
answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from csound_assist.knowledge import csound7_names
from csound_assist.knowledge import types as kt
from csound_assist.knowledge.types import IN_RATES, OUT_RATES  # noqa: F401 — re-exported

# Opcodes a modern user should reach for first; older spellings rank below them.
PREFERRED = (
    "poscil", "poscil3", "vco2", "madsr", "adsr", "moogladder", "reverbsc", "outs", "out", "linen",
    "linseg", "expseg", "oscili", "zdf_ladder", "diode_ladder", "butterlp", "butterhp", "pan2",
    "chnget", "chnset", "schedule", "print", "printks", "cpspch", "ampdbfs", "ftgen", "xin", "xout",
    "K35_lpf", "lfo", "noise", "rand", "comb", "delayr", "delayw", "vdelay", "freeverb", "pluck",
    "foscili", "tablei", "table", "init", "tone", "reson", "balance", "clip", "port", "portk",
)
_PREFERRED_RANK = {name: i for i, name in enumerate(PREFERRED)}
LEGACY = {"oscil", "oscili", "oscil3", "adsr", "linen", "table", "foscil", "out", "outs1"}


def is_opcode(kb: Any, name: str) -> bool:
    """Installed, or Csound 7's new name of an installed opcode (`zdfladder` on Csound 6)."""
    return kb is not None and (name in kb.opcodes or csound7_alias(kb, name) is not None)


def csound7_alias(kb: Any, name: str) -> str | None:
    """The installed name of the opcode Csound 7 calls `name`, when only the old one is here."""
    return None if kb is None else csound7_names.alias_of(name, kb.opcodes)


def get(kb: Any, name: str) -> Any:
    """The opcode `name`; for Csound 7's new name of an installed opcode, the installed one."""
    if kb is None:
        return None
    try:
        op = kb.get(name)
    except Exception:
        op = kb.opcodes.get(name)
    if op is None and (old := csound7_alias(kb, name)) is not None:
        return kb.opcodes.get(old)
    return op


def signatures(op: Any) -> list[Any]:
    return list(getattr(op, "signatures", None) or [])


def out_codes(sig: Any) -> list[str]:
    """The output type codes of a signature, one per output (array outputs as "k[]")."""
    try:
        return list(sig.output_tokens())
    except AttributeError:
        return re.findall(r".(?:\[\])*", getattr(sig, "outputs", "") or "")


def in_codes(sig: Any) -> list[str]:
    try:
        return list(sig.input_tokens())
    except AttributeError:
        return re.findall(r".(?:\[\])*", getattr(sig, "inputs", "") or "")


def _rates(token: str, output: bool) -> str:
    return kt.rates(token, output=output)


def split_codes(codes: str) -> list[str]:
    return re.findall(r".(?:\[\])*", codes or "")


def is_variadic(token: str) -> bool:
    return kt.is_variadic(token)


def first_output_rates(sig: Any) -> set[str]:
    codes = out_codes(sig)
    if not codes:
        return set()
    code = codes[0]
    if code.endswith("[]"):
        return {code}  # arrays only match array variables
    return set(_rates(code, output=True))


def input_rates(token: str) -> str:
    """Rates of the values an input position accepts ("ki" for a k input)."""
    if token.endswith("[]"):
        return token
    return _rates(token, output=False)


def can_output(op: Any, rate: str, count: int = 1) -> bool:
    """Whether some signature of `op` can assign its first output to a variable of `rate`."""
    for sig in signatures(op):
        codes = out_codes(sig)
        if not codes:
            continue
        multi = any(c[:1] in "mzIXNF*" for c in codes)
        if count > len(codes) and not multi:
            continue
        if rate in first_output_rates(sig):
            return True
    return False


def outputs_anything(op: Any) -> bool:
    return any(out_codes(s) for s in signatures(op))


def render(op: Any, sig: Any) -> str:
    try:
        return sig.render(op.name)
    except Exception:
        outs = getattr(sig, "outputs", "")
        ins = ", ".join(in_codes(sig))
        return f"{outs} {op.name} {ins}".strip()


def param_names(op: Any, sig: Any) -> list[str]:
    """Input names of a signature: `asig moogladder ain, kcf [, istor]` → [ain, kcf, istor]."""
    try:
        return [p.name for p in sig.input_params()]
    except AttributeError:
        pass
    text = render(op, sig)
    idx = text.find(op.name)
    tail = text[idx + len(op.name):] if idx >= 0 else text
    names = [p.strip(" []") for p in tail.replace("[", ",").replace("]", "").split(",")]
    names = [n for n in names if n and n != "..."]
    if names:
        return names
    return [f"{c}{i + 1}" for i, c in enumerate(in_codes(sig))]


def rank(name: str, local_counts: dict[str, int] | None = None) -> int:
    """Lower ranks first: locally used names, then preferred opcodes, then the rest; legacy last."""
    if local_counts and name in local_counts:
        return 0
    if name in _PREFERRED_RANK:
        return 100 + _PREFERRED_RANK[name]
    if name in LEGACY:
        return 900
    return 500


def entries(obj: Any) -> list[tuple[str, str]]:
    """(name, doc) pairs from one of the knowledge base's tables, whatever its container shape."""
    if obj is None:
        return []
    items: Iterable[tuple[Any, Any]]
    if isinstance(obj, dict):
        items = obj.items()
    else:
        items = ((getattr(x, "name", None) or str(x), x) for x in obj)
    out = []
    for key, value in items:
        out.append((str(key), describe(value)))
    return out


def describe(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for k in ("summary", "description", "doc", "text"):
            if value.get(k):
                return str(value[k])
        return ""
    for attr in ("summary", "description", "doc", "text"):
        v = getattr(value, attr, None)
        if v:
            return str(v)
    return str(value)


def lookup(obj: Any, key: str) -> Any:
    """One entry of a knowledge-base table by key (str or int keys both tried)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        try:
            return obj.get(int(key))
        except (TypeError, ValueError):
            return None
    for x in obj:
        if str(getattr(x, "name", "")) == key or str(getattr(x, "number", "")) == key:
            return x
    return None
