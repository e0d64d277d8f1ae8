"""A catalogue of planted errors for bug-fix pairs.

Each mutation takes a compiling instrument block and returns the broken text and a one-line
explanation of the fix, or None when it does not apply. Whether the result really breaks is decided
by the compiler afterwards, never assumed; its true error message goes into the pair.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

_IDENT = re.compile(r"\b([akiSfw][A-Za-z_]\w*)\b")
_STRING = re.compile(r'"[^"\n]*"')


@dataclass(frozen=True)
class Mutation:
    kind: str
    broken: str
    explanation: str


def _code_lines(block: str) -> list[int]:
    """Indexes of body lines that carry code (not the instr/endin lines, not comments)."""
    lines = block.splitlines()
    out = []
    for i, line in enumerate(lines[1:-1], start=1):
        code = line.split(";")[0].strip()
        if code and not code.startswith(("//", "/*", "*")):
            out.append(i)
    return out


def _opcode_uses(block: str, opcodes: set[str]) -> list[tuple[int, str]]:
    lines = block.splitlines()
    uses = []
    for i in _code_lines(block):
        for tok in re.findall(r"[A-Za-z_]\w*", lines[i].split(";")[0]):
            if tok in opcodes and len(tok) >= 4:
                uses.append((i, tok))
                break
    return uses


def misspell_opcode(block: str, rng: random.Random, opcodes: set[str]) -> Mutation | None:
    uses = _opcode_uses(block, opcodes)
    if not uses:
        return None
    i, name = rng.choice(uses)
    for _ in range(6):
        j = rng.randrange(1, len(name))
        typo = name[:j] + name[j + 1 :] if rng.random() < 0.5 else name[:j] + name[j - 1] + name[j:]
        if typo != name and typo not in opcodes:
            break
    else:
        return None
    lines = block.splitlines()
    lines[i] = re.sub(rf"\b{re.escape(name)}\b", typo, lines[i], count=1)
    return Mutation(
        "misspelled-opcode",
        "\n".join(lines),
        f"`{typo}` is not a Csound opcode; it is a misspelling of `{name}`.",
    )


def drop_endin(block: str, rng: random.Random, opcodes: set[str]) -> Mutation | None:
    lines = block.rstrip().splitlines()
    last = lines[-1].strip().split()[0] if lines[-1].strip() else ""
    if last not in {"endin", "endop"}:
        return None
    opener = "instr" if last == "endin" else "opcode"
    return Mutation(
        "missing-endin",
        "\n".join(lines[:-1]),
        f"The `{opener}` block is never closed; it must end with `{last}`.",
    )


def _outputs(code: str, opcodes: set[str]) -> tuple[list[str], str]:
    """Split `a1, a2 pan2 ain, .5` / `kx = 1` into (outputs, the rest of the line)."""
    for m in re.finditer(r"[A-Za-z_]\w*|==|=", code):
        if m.group(0) == "=" or m.group(0) in opcodes:
            return _IDENT.findall(code[: m.start()]), code[m.end() :]
        if m.group(0) == "==":
            break
    return [], code


def undefined_variable(block: str, rng: random.Random, opcodes: set[str]) -> Mutation | None:
    lines = block.splitlines()
    defined: set[str] = set()
    uses: list[tuple[int, str]] = []
    for i in _code_lines(block):
        code = strip_strings(lines[i].split(";")[0])
        outs, rest = _outputs(code, opcodes)
        for name in _IDENT.findall(rest):
            if name in defined and name not in opcodes:
                uses.append((i, name))
        defined.update(outs)
    if not uses:
        return None
    i, name = rng.choice(uses)
    typo = name[:-1] if len(name) > 3 else name + "x"
    if typo in defined or typo in opcodes or re.search(rf"\b{re.escape(typo)}\b", block):
        typo = name + "x"
    code, sep, comment = lines[i].partition(";")
    # Replace the last occurrence: on `kx = kx + 1` that is the use, not the definition.
    hits = [m.start() for m in re.finditer(rf"\b{re.escape(name)}\b", code)]
    if not hits:
        return None
    pos = hits[-1]
    lines[i] = code[:pos] + typo + code[pos + len(name) :] + sep + comment
    return Mutation(
        "undefined-variable",
        "\n".join(lines),
        f"`{typo}` is used but never defined; the variable defined earlier is `{name}`.",
    )


def drop_comma(block: str, rng: random.Random, opcodes: set[str]) -> Mutation | None:
    lines = block.splitlines()
    cands = [i for i in _code_lines(block) if lines[i].split(";")[0].count(",") >= 2]
    if not cands:
        return None
    i = rng.choice(cands)
    code, sep, comment = lines[i].partition(";")
    commas = [m.start() for m in re.finditer(",", code)]
    # Skip the comma that separates outputs: removing an argument comma is the common slip.
    pos = rng.choice(commas[1:] if len(commas) > 1 else commas)
    lines[i] = code[:pos] + " " + code[pos + 1 :] + sep + comment
    return Mutation(
        "missing-comma",
        "\n".join(lines),
        f"A comma is missing between two arguments on line {i + 1} of the block.",
    )


def unbalance_paren(block: str, rng: random.Random, opcodes: set[str]) -> Mutation | None:
    lines = block.splitlines()
    cands = [i for i in _code_lines(block) if ")" in lines[i].split(";")[0]]
    if not cands:
        return None
    i = rng.choice(cands)
    code, sep, comment = lines[i].partition(";")
    pos = code.rfind(")")
    lines[i] = code[:pos] + code[pos + 1 :] + sep + comment
    return Mutation(
        "unbalanced-parenthesis",
        "\n".join(lines),
        f"A closing parenthesis `)` is missing on line {i + 1} of the block.",
    )


def wrong_rate(block: str, rng: random.Random, opcodes: set[str]) -> Mutation | None:
    """Rename an a-rate variable to i-rate everywhere: the opcode has no i-rate output."""
    names = sorted(
        {n for n in _IDENT.findall(strip_strings(block)) if n.startswith("a") and len(n) > 1}
    )
    names = [n for n in names if n not in opcodes]
    if not names:
        return None
    name = rng.choice(names)
    new = "i" + name[1:]
    if re.search(rf"\b{re.escape(new)}\b", block):
        return None
    broken = re.sub(rf"\b{re.escape(name)}\b", new, block)
    return Mutation(
        "wrong-rate",
        broken,
        f"`{new}` holds an audio signal, so it must be an a-rate variable: rename it `{name}`.",
    )


def unterminated_string(block: str, rng: random.Random, opcodes: set[str]) -> Mutation | None:
    lines = block.splitlines()
    cands = [i for i in _code_lines(block) if _STRING.search(lines[i].split(";")[0])]
    if not cands:
        return None
    i = rng.choice(cands)
    m = _STRING.search(lines[i])
    assert m is not None
    lines[i] = lines[i][: m.end() - 1] + lines[i][m.end() :]
    return Mutation(
        "unterminated-string",
        "\n".join(lines),
        f"The string on line {i + 1} of the block is missing its closing quote.",
    )


def strip_strings(code: str) -> str:
    return _STRING.sub('""', code)


CATALOGUE: dict[str, Callable[[str, random.Random, set[str]], Mutation | None]] = {
    "misspelled-opcode": misspell_opcode,
    "missing-endin": drop_endin,
    "undefined-variable": undefined_variable,
    "missing-comma": drop_comma,
    "unbalanced-parenthesis": unbalance_paren,
    "wrong-rate": wrong_rate,
    "unterminated-string": unterminated_string,
}


def plant(block: str, rng: random.Random, opcodes: set[str], n: int) -> list[Mutation]:
    """Up to n distinct mutations of one block, kinds drawn in random order."""
    kinds = list(CATALOGUE)
    rng.shuffle(kinds)
    out = []
    for kind in kinds:
        if len(out) >= n:
            break
        m = CATALOGUE[kind](block, rng, opcodes)
        if m and m.broken.strip() != block.strip():
            out.append(m)
    return out
