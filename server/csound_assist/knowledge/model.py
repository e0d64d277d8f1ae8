"""The knowledge base's data: opcodes with signatures and docs, plus the manual's other tables."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from csound_assist.knowledge import types


class Param(NamedTuple):
    """One input of a signature: `("kcf", "k", False)`, `("istor", "o", True)`."""

    name: str
    type: str
    optional: bool


def _numbered(names: list[str]) -> list[str]:
    """Generic names that repeat get numbers: ain, ain → ain1, ain2 (array brackets stay last)."""
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if counts[n] == 1:
            out.append(n)
            continue
        seen[n] = seen.get(n, 0) + 1
        stem, brackets = n.split("[", 1) if "[" in n else (n, "")
        out.append(f"{stem}{seen[n]}" + (f"[{brackets}" if brackets else ""))
    return out


@dataclass(slots=True)
class Signature:
    """One overload as `csound -z1` lists it: output and input type codes, e.g. `a` / `akko`.

    `in_names`/`out_names` hold one name per grouped token (see `types.group_codes`) when the manual
    gave names for this overload; otherwise names are derived from the type codes.
    """

    outputs: str
    inputs: str
    in_names: tuple[str, ...] = ()
    out_names: tuple[str, ...] = ()

    def input_tokens(self) -> list[str]:
        return types.group_codes(self.inputs, output=False)

    def output_tokens(self) -> list[str]:
        return types.group_codes(self.outputs, output=True)

    def input_params(self) -> list[Param]:
        tokens = self.input_tokens()
        names = list(self.in_names) if len(self.in_names) == len(tokens) else _numbered(
            [types.generic_name(t, output=False) for t in tokens])
        return [Param(n, t, types.is_optional(t) or types.is_variadic(t))
                for n, t in zip(names, tokens, strict=True)]

    def output_params(self) -> list[Param]:
        tokens = self.output_tokens()
        names = list(self.out_names) if len(self.out_names) == len(tokens) else _numbered(
            [types.generic_name(t, output=True) for t in tokens])
        return [Param(n, t, False) for n, t in zip(names, tokens, strict=True)]

    def output_rates(self) -> set[str]:
        """Rates this overload can assign: letters a k i S f w b; array outputs as e.g. "k[]"."""
        out: set[str] = set()
        for tok in self.output_tokens():
            if types.is_array(tok):
                out.add(tok)
            else:
                out.update(types.rates(tok, output=True))
        return out

    def render(self, name: str) -> str:
        """`asig moogladder ain, kcf, kres [, istor]`."""
        outs = ""
        for p in self.output_params():
            if not types.is_variadic(p.type, output=True):
                outs += f", {p.name}" if outs else p.name
            else:  # a var-arg output may be left out after the first one
                outs += f" [, {p.name}, ...]" if outs else f"{p.name} [, ...]"
        args = ""
        for p in self.input_params():
            if types.is_variadic(p.type):
                args += f" [, {p.name}, ...]" if args else f"[{p.name}, ...]"
            elif p.optional:
                args += f" [, {p.name}]" if args else f"[{p.name}]"
            else:
                args += f", {p.name}" if args else p.name
        return " ".join(part for part in (outs, name, args) if part)

    def to_dict(self, name: str) -> dict[str, Any]:
        return {
            "outputs": self.outputs,
            "inputs": self.inputs,
            "text": self.render(name),
            "params": [p._asdict() for p in self.input_params()],
        }


@dataclass(slots=True)
class Opcode:
    name: str
    signatures: list[Signature] = field(default_factory=list)
    summary: str = ""
    description: str = ""
    syntax: list[str] = field(default_factory=list)  # the manual's syntax lines
    params: dict[str, str] = field(default_factory=dict)  # argument name → its manual paragraph
    example: str | None = None  # path of the manual's example .csd
    see_also: list[str] = field(default_factory=list)
    deprecated: str | None = None  # the manual's deprecation note
    manual_page: str | None = None  # path of the manual page
    category: str = ""  # quick-reference category, e.g. "Signal Modifiers:Standard Filters"

    def output_rates(self) -> set[str]:
        """Rates any overload can assign (see `Signature.output_rates`)."""
        out: set[str] = set()
        for sig in self.signatures:
            out |= sig.output_rates()
        return out

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "signatures"}
        data["signatures"] = [s.to_dict(self.name) for s in self.signatures]
        return data


@dataclass(slots=True)
class ManualEntry:
    """A manual page that is no opcode: GEN routine, score statement, header variable, directive."""

    name: str
    summary: str = ""
    description: str = ""
    syntax: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    example: str | None = None
    see_also: list[str] = field(default_factory=list)
    manual_page: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Flag:
    """A command-line flag; `names` holds every spelling (`-o`, `--output`)."""

    name: str
    names: list[str] = field(default_factory=list)
    argument: str | None = None  # placeholder of the value it takes, e.g. "FILE"
    description: str = ""
    category: str = ""
    manual_page: str | None = None

    @property
    def summary(self) -> str:
        return self.description.split("\n\n", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class KnowledgeBase:
    opcodes: dict[str, Opcode] = field(default_factory=dict)
    gens: dict[str, ManualEntry] = field(default_factory=dict)  # "1", "10", … and named ("tanh")
    score_statements: dict[str, ManualEntry] = field(default_factory=dict)  # "i", "f", "{", …
    header_vars: dict[str, ManualEntry] = field(default_factory=dict)  # sr, kr, ksmps, 0dbfs, …
    flags: dict[str, Flag] = field(default_factory=dict)  # every spelling → its Flag
    directives: dict[str, ManualEntry] = field(default_factory=dict)  # "#define", "#include", …
    # Language keywords and operators that are not opcodes: if, then, while, do, +, ==, &&, +=, …
    keywords: dict[str, ManualEntry] = field(default_factory=dict)
    csound_version: str = ""
    manual_dir: str | None = None
    notes: list[str] = field(default_factory=list)  # what is missing and how to install it

    def get(self, name: str) -> Opcode | None:
        return self.opcodes.get(name.strip()) if isinstance(name, str) else None

    def close_matches(self, name: str, n: int = 5) -> list[str]:
        """Known opcode names near `name`: case-insensitive equals first, then similar spellings."""
        name = name.strip()
        if not name:
            return []
        folded = name.lower()
        out = [k for k in self.opcodes if k.lower() == folded and k != name]
        for k in difflib.get_close_matches(name, self.opcodes, n=n + len(out), cutoff=0.6):
            if k not in out and k != name:
                out.append(k)
        if len(out) < n:
            out += sorted(k for k in self.opcodes
                          if k.startswith(name) and k not in out and k != name)
        return out[:n]

    def flag(self, text: str) -> Flag | None:
        """The flag an argument uses: `-odac` → -o, `--output=x.wav` → --output, `-b512` → -b."""
        text = text.strip()
        for candidate in (text, text.split("=", 1)[0], text[:3], text[:2]):
            if candidate.startswith("-") and candidate in self.flags:
                return self.flags[candidate]
        return None

    def gen(self, key: int | str) -> ManualEntry | None:
        """A GEN routine by number or name: 10, "10", "GEN10", "GEN01", "tanh"."""
        text = str(key).strip().strip('"')
        if text.upper().startswith("GEN"):
            text = text[3:]
        if text.isdigit():
            text = str(int(text))
        return self.gens.get(text)
