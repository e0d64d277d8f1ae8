"""What the static checks need to know about opcodes: names, output types, table arguments.

Read from the knowledge base when it is installed; otherwise from the installed Csound's own
opcode list (`csound -z1`, which prints `name outtypes intypes` per form) so the checks still work
without it.
"""

from __future__ import annotations

import difflib
import functools
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

# Output type codes → the variable rates they accept.
_OUT_RATES = {
    "a": "a",
    "k": "k",
    "i": "i",
    "S": "S",
    "f": "f",
    "w": "w",
    "m": "a",
    "z": "k",
    "I": "i",
    "X": "aki",
    "x": "ak",
    "s": "ak",
    "N": "akiS",
    "F": "f",
    "*": "akiSfw",
    ".": "akiSfw",
}
# Arguments that are function-table numbers, by opcode and 0-based position, for when the
# knowledge base does not name them (its syntax lines name them `ifn`, `kfn`, …).
_TABLE_ARGS: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(
        ["oscil", "oscili", "oscil3", "poscil", "poscil3", "oscilikt", "osciliktp"], (2,)
    ),
    **dict.fromkeys(["table", "tablei", "table3", "tab", "tab_i", "tablekt", "tableikt"], (1,)),
    **dict.fromkeys(["tablew", "tabw", "tablewkt"], (2,)),
    **dict.fromkeys(["loscil", "loscil3", "loscilx", "lposcil", "lposcil3"], (2,)),
    "oscil1": (2,),
    "oscil1i": (2,),
    "foscil": (5,),
    "foscili": (5,),
    "buzz": (3,),
    "gbuzz": (5,),
    "flooper": (3,),
    "flooper2": (6,),
    "tablecopy": (0, 1),
    "ftlen": (0,),
    "ftsr": (0,),
    "vco": (6,),
    "pluck": (2,),
    "granule": (),
    "grain": (4, 5),
    "fof": (9, 10),
    "table3kt": (1,),
    "lfo": (),
    "pvsbufread": (),
    "sndwarp": (7, 8),
    "mincer": (3,),
    "temposcal": (3,),
}
# Oscillators whose table argument is optional and defaults to an internal sine.
SINE_DEFAULT = frozenset({"poscil", "poscil3", "oscili", "oscil", "oscil3"})


@dataclass(slots=True)
class OpcodeTable:
    forms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name → (outs, ins)
    table_args: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.forms

    def output_rates(self, name: str, position: int) -> set[str] | None:
        """Rates a variable may have at output `position`, or None when any (or unknown)."""
        forms = self.forms.get(name)
        if not forms:
            return None
        allowed: set[str] = set()
        for outs, _ins in forms:
            codes = _split(outs)
            if not codes:
                continue
            code = codes[position] if position < len(codes) else codes[-1]
            if code.endswith("[]"):
                return None  # an array output: the name decides nothing we check
            if position >= len(codes) and code not in "mzIN*":
                continue
            allowed.update(_OUT_RATES.get(code, "akiSfw"))
        return allowed or None

    def close_matches(self, name: str, n: int = 5) -> list[str]:
        """The nearest opcode names, best first (edit distance, then similarity)."""
        pool = difflib.get_close_matches(name, self.forms.keys(), n=12, cutoff=0.6)
        lower = [k for k in self.forms if k.lower() == name.lower() and k != name]
        pool = list(dict.fromkeys([*lower, *pool]))
        scored = sorted(
            pool,
            key=lambda c: (
                levenshtein(name.lower(), c.lower()),
                _length_gap(name, c),
                -difflib.SequenceMatcher(None, name, c).ratio(),
            ),
        )
        return scored[:n]


def _length_gap(a: str, b: str) -> int:
    return abs(len(a) - len(b))


def _split(codes: str) -> list[str]:
    if codes in ("", "(null)"):
        return []
    return re.findall(r".(?:\[\])?", codes)


def levenshtein(a: str, b: str) -> int:
    """Edit distance where swapping two adjacent letters counts as one edit (a common typo)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def from_knowledge_base(kb: Any) -> OpcodeTable:
    table = OpcodeTable(table_args=dict(_TABLE_ARGS))
    for name, op in kb.opcodes.items():
        table.forms[name] = [(s.outputs, s.inputs) for s in op.signatures] or [("", "")]
        positions = _table_positions(getattr(op, "syntax", []) or [], name)
        if positions:
            table.table_args[name] = positions
    return table


def _table_positions(syntax: Iterable[str], name: str) -> tuple[int, ...]:
    """Positions of arguments named like a table number (ifn, kfn, ifnl…) in the manual's syntax."""
    for line in syntax:
        m = re.search(rf"\b{re.escape(name)}\b(.*)$", line)
        if not m:
            continue
        args = [
            a.strip(" []") for a in re.split(r",", m.group(1).replace("[", ",").replace("]", ""))
        ]
        args = [a for a in args if a]
        found = tuple(
            i for i, a in enumerate(args) if re.fullmatch(r"[ik]?(fn|ft|tab|table)\w*", a)
        )
        if found:
            return found
    return ()


def from_csound(executable: str = "csound") -> OpcodeTable:
    table = OpcodeTable(table_args=dict(_TABLE_ARGS))
    exe = shutil.which(executable)
    if exe is None:
        return table
    try:
        proc = subprocess.run(
            [exe, "-z1"], stdin=subprocess.DEVNULL, capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("could not list opcodes with {} -z1: {}", exe, exc)
        return table
    for line in (proc.stdout + proc.stderr).decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and re.fullmatch(r"[A-Za-z_]\w*", parts[0]):
            outs = "" if parts[1] == "(null)" else parts[1]
            ins = "" if parts[2] == "(null)" else parts[2]
            table.forms.setdefault(parts[0], []).append((outs, ins))
        elif len(parts) == 2 and re.fullmatch(r"[A-Za-z_]\w*", parts[0]) and parts[1] == "(null)":
            table.forms.setdefault(parts[0], []).append(("", ""))
    return table


@functools.cache
def default_table(executable: str = "csound") -> OpcodeTable:
    """The knowledge base's table if it loads, else Csound's own list (cached per process)."""
    try:
        from csound_assist.knowledge import load_knowledge_base  # type: ignore[attr-defined]

        kb = load_knowledge_base()
        if kb.opcodes:
            return from_knowledge_base(kb)
    except Exception as exc:  # noqa: BLE001 — an optional source; fall back below
        logger.debug("knowledge base unavailable for diagnostics: {}", exc)
    return from_csound(executable)
