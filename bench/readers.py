"""Differential test of every reader of Csound structure (issue 16): where do they disagree?

Each reader answers three questions per line — which section is line N in, which block
(instr/opcode, by its header line) encloses it, which opcode the statement on it calls — plus one
per file (which UDOs it defines). The readers are the shared Outline (with its tree, and as its
line reading without one), the static checks' Source, the AI context/fix/explain functions, the
inline post-filter, retrieval chunking and parsing.py's tree API. A line where two readers give
different answers is a disagreement; the report counts them per question and per reader against
the Outline, over the manual's examples plus mutants (diagnostics/mutate.py).

Prints a markdown section to stdout.
Usage: python bench/readers.py [--manual DIR] [--limit N] [--mutants-per-class N] [--examples K]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from csound_assist import parsing
from csound_assist.ai import context as ai_context
from csound_assist.ai import fix as ai_fix
from csound_assist.ai import postfilter
from csound_assist.diagnostics.mutate import MUTATIONS
from csound_assist.diagnostics.opcodes import default_table
from csound_assist.diagnostics.source import KEYWORDS as SOURCE_KEYWORDS
from csound_assist.diagnostics.source import kind_of, parse_source
from csound_assist.features import analysis
from csound_assist.features.analysis import KEYWORDS as OUTLINE_KEYWORDS
from csound_assist.features.analysis import blank_code, build_outline
from csound_assist.features.document import Document
from csound_assist.retrieval import chunking

DEFAULT_MANUAL = Path("/usr/share/doc/csound-doc/html")
QUESTIONS = ("section", "block", "opcode", "udos")
# A line's answer: "orchestra" | "score" | "other"; (kind, header line) | None; an opcode | None.
Answers = dict[str, dict[int, Any]]  # question → line → answer (line -1: the file question)
NOT_OPCODES = set(OUTLINE_KEYWORDS) | set(SOURCE_KEYWORDS) | {"=", "xin", "xout"}


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _opcode(name: str | None) -> str | None:
    return None if not name or name in NOT_OPCODES or name.endswith("=") else name


# -- the readers ------------------------------------------------------------------------------


def read_outline(text: str, kind: str, table: Any, *, tree: bool) -> Answers:
    parse_fn = parsing.parse if tree else None
    doc = Document.from_text(f"file:///x.{kind}", text, kind=kind, parse_fn=parse_fn)
    out = build_outline(doc, SimpleNamespace(opcodes=table))
    names = {"orc": "orchestra", "sco": "score"}
    ans: Answers = {q: {} for q in QUESTIONS}
    for i in range(len(doc.lines)):
        ans["section"][i] = names.get(out.region(i), "other")
        b = out.block_at(i)
        ans["block"][i] = (b.kind, b.start_line) if b is not None else None
        st = out.statements.get(i)
        ans["opcode"][i] = _opcode(st.opcode.text if st is not None and st.opcode else None)
    ans["udos"][-1] = frozenset(out.udos())
    return ans


def read_source(text: str, kind: str, table: Any) -> Answers:
    src = parse_source(text, "orc" if kind == "orc" else kind, table.__contains__)
    orc, sco = set(src.orc), set(src.sco)
    ans: Answers = {q: {} for q in QUESTIONS}
    for i in range(len(src.lines)):
        ans["section"][i] = "orchestra" if i in orc else "score" if i in sco else "other"
        b = src.block_at(i)
        ans["block"][i] = (b.kind, b.start) if b is not None else None
        st = src.statements.get(i)
        ans["opcode"][i] = _opcode(st.opcode.text if st is not None and st.is_call and st.opcode
                                   else None)
    ans["udos"][-1] = frozenset(b.names[0].text for b in src.blocks if b.kind == "opcode")
    return ans


def read_ai(text: str, kind: str, table: Any) -> Answers:
    """ai.context's section and enclosing block with the cursor at the end of line N (for the
    closing line, at its start: the cursor inside `endin` is still in the block)."""
    analysis._RECENT.clear()  # not the no-tree outline the previous reader left there
    starts = _line_starts(text)
    lines = text.split("\n")
    names = {"orchestra": "orchestra", "score": "score"}
    ans: Answers = {q: {} for q in ("section", "block")}
    header_rows: dict[int, int] = {}
    for i, line in enumerate(lines):
        end = starts[i] + len(line)
        ans["section"][i] = names.get(ai_context.section_at(text, end), "other")
        if kind == "sco":
            ans["block"][i] = None
            continue
        found = ai_context.enclosing_block(text, end) or ai_context.enclosing_block(text, starts[i])
        if not found:
            ans["block"][i] = None
            continue
        opener = end - len(found) if ai_context.enclosing_block(text, end) else (
            starts[i] + len(line) - len(found))
        row = header_rows.setdefault(opener, text.count("\n", 0, opener))
        word = lines[row].split()[0] if lines[row].split() else ""
        ans["block"][i] = ("opcode" if word == "opcode" else "instr", row)
    return ans


def read_ai_fix(text: str, kind: str, table: Any) -> Answers:
    """ai.fix.error_region (also Explain's block): the block holding line N. Its answer for an
    unclosed block is the whole text, on purpose: such a line is not compared."""
    analysis._RECENT.clear()  # not the no-tree outline the previous reader left there
    lines = text.split("\n")
    starts = _line_starts(text)
    ans: Answers = {"block": {}}
    for i in range(len(lines)):
        start, end = ai_fix.error_region(text, i)
        if kind == "sco" or (start, end) == (0, len(text)):
            if ai_context.block_at(text, starts[i]) is None:
                ans["block"][i] = None
            continue
        row = text.count("\n", 0, start)
        word = lines[row].split()[0] if lines[row].split() else ""
        ans["block"][i] = ("opcode" if word == "opcode" else "instr", row)
    return ans


def read_postfilter(text: str, kind: str, table: Any) -> Answers:
    """The post-filter's opcode in statement position (calls `f(…)` left out), its UDO list.
    It reads a suggestion's lines, never a file: it is given the file's lines with comments
    blanked, as a multi-line comment is not something one line can show."""
    ans: Answers = {"opcode": {}, "udos": {}}
    for i, line in enumerate(blank_code(text).split("\n")):
        code = postfilter._code(line)
        used = postfilter.used_opcodes(line, table) - set(postfilter._CALL.findall(code))
        first = code.split()[0] if code.split() else ""
        if first in ("instr", "opcode", "endin", "endop") or not used:
            ans["opcode"][i] = None
        else:
            ans["opcode"][i] = _opcode("|".join(sorted(used)))
    ans["udos"][-1] = frozenset(postfilter.defined_udos(text))
    return ans


def read_chunking(text: str, kind: str, table: Any) -> Answers:
    """Chunking's blocks (outline_blocks); a block's comment lines above its header are left out
    (chunks carry them by design). It has no section reader of its own any more."""
    lines = text.split("\n")
    ans: Answers = {"block": {}}
    owner: dict[int, tuple[str, int]] = {}
    code = blank_code(text).split("\n")
    for b in chunking.outline_blocks(text, "." + kind):
        if b.kind not in ("instr", "udo"):
            continue
        head = next((n for n in b.lines if code[n - 1].lstrip().startswith(("instr", "opcode"))),
                    None)
        if head is None:
            continue
        for n in b.lines:
            if n >= head:
                owner.setdefault(n - 1, ("opcode" if b.kind == "udo" else "instr", head - 1))
    for i in range(len(lines)):
        ans["block"][i] = owner.get(i)
    return ans


def read_parsing(text: str, kind: str, table: Any) -> Answers:
    """parsing.py's tree API: sections() (the lines of the element holding each body),
    instruments()/udos(), opcode_calls() (statements)."""
    tree = parsing.parse(text)
    lines = text.split("\n")
    ans: Answers = {q: {} for q in QUESTIONS}
    orc, sco = parsing.sections(tree)
    for i in range(len(lines)):
        ans["section"][i] = "other"
        ans["block"][i] = None
        ans["opcode"][i] = None
    for node, name in ((orc, "orchestra"), (sco, "score")):
        if node is None:
            continue
        # The body node holds the section's items (it starts at the first one); its element,
        # between the tag lines, is the section's lines.
        element = node.parent if node.parent is not None and node.parent.type in (
            "instruments_element", "score_element") else None
        first = element.start_point[0] + 1 if element is not None else node.start_point[0]
        end = element.end_point if element is not None else node.end_point
        last = end[0] - (1 if element is not None or end[1] == 0 else 0)
        for row in range(first, last + 1):
            ans["section"][row] = name
    for b, k in [(x.node, "instr") for x in parsing.instruments(tree)] + [
            (u.node, "opcode") for u in parsing.udos(tree)]:
        last = b.end_point[0] - (1 if b.end_point[1] == 0 else 0)
        for row in range(b.start_point[0], last + 1):
            ans["block"][row] = (k, b.start_point[0])
    for call in parsing.opcode_calls(tree):
        if not call.is_function and not call.node.has_error:
            ans["opcode"].setdefault(call.name_node.start_point[0], None)
            row = call.name_node.start_point[0]
            if ans["opcode"][row] is None:
                ans["opcode"][row] = _opcode(call.name)
    ans["udos"][-1] = frozenset(u.name for u in parsing.udos(tree))
    return ans


Reader = Callable[[str, str, Any], Answers]
READERS: dict[str, Reader] = {
    "outline": lambda t, k, tab: read_outline(t, k, tab, tree=True),
    "outline-no-tree": lambda t, k, tab: read_outline(t, k, tab, tree=False),
    "diagnostics.source": read_source,
    "ai.context": read_ai,
    "ai.fix/explain": read_ai_fix,
    "ai.postfilter": read_postfilter,
    "retrieval.chunking": read_chunking,
    "parsing": read_parsing,
}
REFERENCE = "outline"


# -- comparing --------------------------------------------------------------------------------


@dataclass
class Report:
    files: int = 0
    lines: int = 0
    # question → number of (file, line) points where some readers disagree
    disagreements: Counter[str] = field(default_factory=Counter)
    # (question, reader) → points where that reader differs from the reference
    versus: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)

    def total(self) -> int:
        return sum(self.disagreements.values())


def compare(name: str, text: str, kind: str, table: Any, report: Report,
            readers: dict[str, Reader] | None = None) -> None:
    """Run every reader over one text and add its disagreements to `report`."""
    readers = readers or READERS
    answers: dict[str, Answers] = {}
    for rname, reader in readers.items():
        try:
            answers[rname] = reader(text, kind, table)
        except Exception as exc:  # noqa: BLE001 — a crashing reader is itself a finding
            report.failures.append(f"{name}: {rname}: {type(exc).__name__}: {exc}")
    report.files += 1
    lines = text.split("\n")
    report.lines += len(lines)
    ref = answers.get(REFERENCE, {})
    # The post-filter reads only what the AI context calls orchestra (its caller's gate).
    gate = answers.get("ai.context", {}).get("section", {})
    for p in list(answers.get("ai.postfilter", {}).get("opcode", {})):
        if gate.get(p, "orchestra") != "orchestra":
            answers["ai.postfilter"]["opcode"][p] = None
    for q in QUESTIONS:
        points = sorted({p for a in answers.values() for p in a.get(q, {})})
        for p in points:
            if q == "section" and _no_section_question(lines[p]):
                continue
            given = {r: a[q][p] for r, a in answers.items() if p in a.get(q, {})}
            if q == "opcode" and all(v is None for v in given.values()):
                continue
            if len(set(given.values())) <= 1:
                continue
            report.disagreements[q] += 1
            for r, v in given.items():
                if r != REFERENCE and p in ref.get(q, {}) and v != ref[q][p]:
                    report.versus[(q, r)] += 1
                    ex = report.examples[(q, r)]
                    if len(ex) < 3:
                        shown = lines[p].strip()[:60] if p >= 0 else ""
                        ex.append(f"{name}:{p + 1} `{shown}` outline={ref[q][p]!r} {r}={v!r}")


def _no_section_question(line: str) -> bool:
    """Blank lines and the tag lines themselves: which section holds them is a convention."""
    stripped = line.strip()
    return not stripped or stripped.startswith("<")


def corpus(manual: Path, limit: int | None, per_class: int, seed: int,
           table: Any) -> list[tuple[str, str, str]]:
    """(name, text, kind): the manual's examples, then mutants of them."""
    paths = sorted((manual / "examples").glob("*.csd"))[:limit]
    texts = [(p.name, p.read_text(encoding="utf-8", errors="replace"), "csd") for p in paths]
    out = list(texts)
    for mname, mutate in MUTATIONS.items():
        rnd = random.Random(f"{seed}:{mname}")
        order = texts[:]
        rnd.shuffle(order)
        made = 0
        for name, text, _kind in order:
            if made >= per_class:
                break
            m = mutate(text, rnd, table)
            if m is not None:
                out.append((f"{name}~{mname}", m.text, kind_of(None, m.text)))
                made += 1
    return out


def run(items: list[tuple[str, str, str]], table: Any) -> Report:
    report = Report()
    for name, text, kind in items:
        compare(name, text, kind, table, report)
    return report


def markdown(report: Report, seconds: float, command: str) -> str:
    out = ["## Readers (differential test of every reader of Csound structure)", "",
           f"`{command}`: {report.files} files, {report.lines} lines, {seconds:.0f} s. A point "
           "is a (file, line) — or a file for `udos` — where two readers answer differently.",
           "", "| question | points of disagreement |", "|---|---|"]
    out += [f"| {q} | {report.disagreements[q]} |" for q in QUESTIONS]
    out += ["", "Per reader, points where it differs from the Outline (with its tree):", "",
            "| reader | " + " | ".join(QUESTIONS) + " |", "|---|" + "---|" * len(QUESTIONS)]
    for r in READERS:
        if r == REFERENCE:
            continue
        cells = [str(report.versus[(q, r)]) if any(k == (q, r) for k in report.versus) else "0"
                 for q in QUESTIONS]
        out.append(f"| {r} | " + " | ".join(cells) + " |")
    out += ["", "Examples:", ""]
    for (q, r), ex in sorted(report.examples.items()):
        out += [f"- {q} / {r}: " + "; ".join(ex)]
    if report.failures:
        out += ["", f"Reader failures ({len(report.failures)}):", ""]
        out += [f"- {f}" for f in report.failures[:10]]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description="differential test of the Csound readers")
    ap.add_argument("--manual", type=Path, default=DEFAULT_MANUAL)
    ap.add_argument("--limit", type=int, default=None, help="first N examples only")
    ap.add_argument("--mutants-per-class", type=int, default=40)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    table = default_table()
    items = corpus(args.manual, args.limit, args.mutants_per_class, args.seed, table)
    t0 = time.perf_counter()
    report = run(items, table)
    command = "python bench/readers.py " + " ".join(sys.argv[1:])
    print(markdown(report, time.perf_counter() - t0, command.strip()))


if __name__ == "__main__":
    main()
