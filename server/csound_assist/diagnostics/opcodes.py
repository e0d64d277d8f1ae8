"""What the static checks need to know about opcodes: names, output types, table arguments.

Read from the knowledge base when it is installed; otherwise from the installed Csound's own
opcode list (`csound -z1`, which prints `name outtypes intypes` per form) so the checks still work
without it.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.knowledge import types as kt
from csound_assist.knowledge.manual import DEFAULT_MANUAL_DIR
from csound_assist.knowledge.z1 import KnowledgeBaseError, list_overloads

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
    # Opcodes the parser accepts that the opcode list omits (deprecated ones, optional plugins):
    # every name with a page in the manual.
    documented: frozenset[str] = frozenset()
    # How many manual examples use each opcode: breaks ties between equally near suggestions.
    popularity: dict[str, int] = field(default_factory=dict)
    # Forms as the manual writes them (`ares vco2 kamp, kcps [, imode]`), from the knowledge base.
    rendered: dict[str, list[str]] = field(default_factory=dict)
    # The Csound these forms come from ("6.18.0"; "" when unknown).
    version: str = ""

    def __contains__(self, name: object) -> bool:
        return name in self.forms or name in self.documented

    def output_rates(self, name: str, position: int) -> set[str] | None:
        """Rates a variable may have at output `position`, or None when any (or unknown)."""
        forms = self.forms.get(name)
        if not forms:
            return None
        allowed: set[str] = set()
        for outs, _ins in forms:
            codes = kt.split_codes(outs)
            if not codes:
                continue
            code = codes[position] if position < len(codes) else codes[-1]
            if code.endswith("[]"):
                return None  # an array output: the name decides nothing we check
            if position >= len(codes) and not kt.is_variadic(code, output=True):
                continue
            allowed.update(kt.rates(code, output=True))
        return allowed or None

    def close_matches(self, name: str, n: int = 5) -> list[str]:
        """The nearest opcode names, best first (typo distance, then similarity)."""
        return [c for c, _d in self.ranked_matches(name, n)]

    def ranked_matches(
        self, name: str, n: int = 5, fits: Callable[[str], bool] | None = None
    ) -> list[tuple[str, float]]:
        """(name, distance) pairs, nearest first; names for which `fits` is false sort later."""
        pool = difflib.get_close_matches(name, self.forms.keys(), n=16, cutoff=0.6)
        lower = [k for k in self.forms if k.lower() == name.lower() and k != name]
        pool = list(dict.fromkeys([*lower, *pool]))
        scored = sorted(
            ((c, typo_distance(name.lower(), c.lower())) for c in pool),
            key=lambda cd: (
                # nearest first, fitting before not fitting, then the more used
                cd[1],
                fits is not None and not fits(cd[0]),
                -self.popularity.get(cd[0], 0),
                _length_gap(name, cd[0]),
                -difflib.SequenceMatcher(None, name, cd[0]).ratio(),
            ),
        )
        return scored[:n]

    def render_forms(self, name: str) -> list[str]:
        """Each form as the manual writes it, else as Csound's messages do: `outs name ins`."""
        if self.rendered.get(name):
            return self.rendered[name]
        return [
            f"{outs or '(none)'} {name} {ins}".rstrip() for outs, ins in self.forms.get(name, [])
        ]

    def fits(self, name: str, n_out: int, n_in: int, out_rates: list[str | None]) -> bool:
        """Whether some form of `name` takes `n_in` arguments and yields `n_out` outputs whose
        rates (from the variable names; None = unknown) it allows."""
        for outs, ins in self.forms.get(name, []):
            o, i = kt.split_codes(outs), kt.split_codes(ins)
            if not _count_ok(o, n_out, output=True) or not _count_ok(i, n_in, output=False):
                continue
            ok = True
            for pos, rate in enumerate(out_rates):
                if rate is None or not o:
                    continue
                code = o[min(pos, len(o) - 1)]
                if not code.endswith("[]") and rate not in kt.rates(code, output=True):
                    ok = False
            if ok:
                return True
        return False


def _count_ok(codes: list[str], n: int, *, output: bool) -> bool:
    """Whether `n` arguments (or outputs) fit `codes`: each required one is there, and no more
    than the form has places for unless it has an open list (the letters of `knowledge.types`:
    `.` is one required argument of any type, `I X F` are open output lists)."""
    open_list = [kt.is_variadic(c, output=output) for c in codes]
    optional = [not output and kt.is_optional(c) for c in codes]
    required = sum(1 for o, v in zip(optional, open_list, strict=True) if not o and not v)
    return required <= n and (any(open_list) or n <= len(codes))


def _length_gap(a: str, b: str) -> int:
    return abs(len(a) - len(b))


def typo_distance(a: str, b: str) -> float:
    """Edit distance weighted by how people mistype: a swap or a doubled letter costs 0.8."""
    return _edit_distance(a, b, doubled=0.8, swap=0.8)


def levenshtein(a: str, b: str) -> int:
    """Edit distance where swapping two adjacent letters counts as one edit (a common typo)."""
    return round(_edit_distance(a, b, doubled=1.0, swap=1.0))


def _edit_distance(a: str, b: str, *, doubled: float, swap: float) -> float:
    """Optimal-string-alignment distance; dropping or adding a doubled letter costs `doubled`,
    swapping two adjacent letters `swap`, any other edit 1."""
    d = [[0.0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = float(i)
    for j in range(len(b) + 1):
        d[0][j] = float(j)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            dele = doubled if i > 1 and a[i - 1] == a[i - 2] else 1.0  # a doubled letter in `a`
            ins = doubled if j > 1 and b[j - 1] == b[j - 2] else 1.0  # a letter `a` did not double
            d[i][j] = min(
                d[i - 1][j] + dele, d[i][j - 1] + ins, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + swap)
    return d[-1][-1]


def from_knowledge_base(kb: Any) -> OpcodeTable:
    table = OpcodeTable(table_args=dict(_TABLE_ARGS), version=getattr(kb, "csound_version", ""))
    for name, op in kb.opcodes.items():
        table.forms[name] = [(s.outputs, s.inputs) for s in op.signatures] or [("", "")]
        with contextlib.suppress(Exception):  # a form it cannot render: codes will do
            table.rendered[name] = list(dict.fromkeys(s.render(name) for s in op.signatures))
        positions = _table_positions(getattr(op, "syntax", []) or [], name)
        if positions:
            table.table_args[name] = positions
    return table


def _table_positions(syntax: Iterable[str], name: str) -> tuple[int, ...]:
    """Positions named like a table number (ifn, kfn…) in every form of the manual's syntax."""
    common: set[int] | None = None
    for line in syntax:
        at = _word_at(line, name)
        if at < 0:
            continue
        rest = line[at + len(name) :]
        args = [a.strip(" []") for a in rest.replace("[", ",").replace("]", "").split(",")]
        args = [a for a in args if a]
        found = {i for i, a in enumerate(args) if re.fullmatch(r"[ik]fn\w*", a)}
        common = found if common is None else common & found
    return tuple(sorted(common or ()))


def _word_at(line: str, word: str) -> int:
    """Where `word` first stands alone in `line`, or -1 (no regex: this runs for every opcode)."""
    at = line.find(word)
    while at >= 0:
        before = line[at - 1] if at else " "
        after = line[at + len(word)] if at + len(word) < len(line) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return at
        at = line.find(word, at + 1)
    return -1


def from_csound(executable: str = "csound") -> OpcodeTable:
    """Forms from Csound's own list (`csound -z1`), for when the knowledge base is missing."""
    table = OpcodeTable(table_args=dict(_TABLE_ARGS))
    try:
        overloads = list_overloads(executable, timeout=20)
    except KnowledgeBaseError as exc:
        logger.warning("could not list opcodes with {} -z1: {}", executable, exc)
        return table
    for o in overloads:
        table.forms.setdefault(o.name, []).append((o.outputs, o.inputs))
    with contextlib.suppress(Exception):  # the version only words the Csound 7 note
        from csound_assist.knowledge.z1 import csound_version

        table.version = csound_version(executable)
    return table


def manual_names(manual_dir: str | Path) -> frozenset[str]:
    folder = Path(manual_dir)
    if not folder.is_dir():
        return frozenset()
    return frozenset(p.stem for p in folder.glob("*.html") if re.fullmatch(r"[A-Za-z_]\w*", p.stem))


@functools.cache
def default_table(
    executable: str = "csound", manual_dir: str = DEFAULT_MANUAL_DIR
) -> OpcodeTable:
    """The knowledge base's table if it loads, else Csound's own list (cached per process)."""
    table: OpcodeTable | None = None
    try:
        from csound_assist.knowledge import load_knowledge_base

        kb = load_knowledge_base()
        if kb.opcodes:
            table = from_knowledge_base(kb)
    except Exception as exc:  # noqa: BLE001 — an optional source; fall back below
        logger.debug("knowledge base unavailable for diagnostics: {}", exc)
    if table is None:
        table = from_csound(executable)
    table.documented = manual_names(manual_dir)
    table.popularity = example_counts(Path(manual_dir) / "examples", frozenset(table.forms))
    return table


def example_counts(folder: Path, names: frozenset[str]) -> dict[str, int]:
    """In how many example files each opcode appears (cached on disk by the folder's mtime)."""
    if not folder.is_dir():
        return {}
    try:
        from csound_assist.paths import cache_dir

        store: Path | None = cache_dir() / "opcode-example-counts.json"
    except Exception:  # noqa: BLE001 — no cache dir: count every time
        store = None
    stamp = f"{folder}:{folder.stat().st_mtime_ns}:{len(names)}"
    if store is not None:
        try:
            data = json.loads(store.read_text())
            if data.get("stamp") == stamp:
                return dict(data["counts"])
        except (OSError, ValueError, KeyError):
            pass
    counts: dict[str, int] = {}
    for path in folder.glob("*.csd"):
        try:
            words = set(IDENT_RE.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
        for w in words & names:
            counts[w] = counts.get(w, 0) + 1
    if store is not None:
        with contextlib.suppress(OSError):
            store.write_text(json.dumps({"stamp": stamp, "counts": counts}))
    return counts


IDENT_RE = re.compile(r"[A-Za-z_]\w*")
