"""The AI anti-pattern catalogue: checks per item, what they find on the wrong and right example
files, how often they fire on the Csound manual's examples (which are correct code: every hit
there is a false positive or a hint), and what they cost.

Prints a markdown section to stdout. Usage: python bench/antipatterns.py [--manual DIR]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

from csound_assist.diagnostics import static_checks
from csound_assist.diagnostics.antipatterns import CHECKS
from csound_assist.diagnostics.opcodes import default_table
from csound_assist.diagnostics.source import kind_of
from csound_assist.diagnostics.static import Context

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "server" / "csound_assist" / "diagnostics" / "ANTIPATTERNS.md"
CASES = ROOT / "tests" / "data" / "antipatterns"
DEFAULT_MANUAL = Path("/usr/share/doc/csound-doc/html")


def catalogue() -> list[tuple[str, str, list[str]]]:
    """(item number, anti-pattern, codes) from the table in ANTIPATTERNS.md."""
    rows = []
    for m in re.finditer(r"^\| (\d+b?) \| (.+?) \| (.+?) \|", DOC.read_text(), re.MULTILINE):
        codes = re.findall(r"`([a-z0-9-]+)`", m.group(3))
        rows.append((m.group(1), m.group(2), codes))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description="anti-pattern checks benchmark")
    ap.add_argument("--manual", type=Path, default=DEFAULT_MANUAL)
    args = ap.parse_args()
    examples = sorted((args.manual / "examples").glob("*.csd"))
    texts = [(p, p.read_text(errors="replace")) for p in examples]

    found_in_cases: Counter[str] = Counter()
    for path in sorted(CASES.glob("*.csd")):
        for d in static_checks(path.read_text(), path):
            found_in_cases[f"{path.stem}:{d.code}"] += 1
    hits: Counter[tuple[str, int]] = Counter()
    for path, text in texts:
        for d in static_checks(text, path):
            hits[(str(d.code), int(d.severity or 1))] += 1

    # The catalogue's own checks alone over every example: the cost they add.
    table = default_table()
    contexts = [Context(text, kind_of(path, text), table, path.parent) for path, text in texts]
    cost = {}
    for check in CHECKS:
        start = time.perf_counter()
        for ctx in contexts:
            list(check(ctx))
        cost[check.__name__] = time.perf_counter() - start

    print("## Anti-pattern checks (kunstmusik/csound-ai-reference)\n")
    rows = catalogue()
    checked = [r for r in rows if r[2]]
    print(f"- Catalogue items: {sum(1 for n, *_ in rows if n.isdigit())} (+ "
          f"{sum(1 for n, *_ in rows if not n.isdigit())} sub-item); with a check: "
          f"**{sum(1 for n, _w, c in checked if n.isdigit())}**, documented as not checkable: "
          f"{sum(1 for n, _w, c in rows if not c)} (reasons in ANTIPATTERNS.md)")
    print(f"- Manual examples swept: {len(texts)} (correct code: a hit is a false positive "
          "unless it is a hint)")
    print(f"- Cost of the {len(CHECKS)} new checks over all examples: "
          f"**{sum(cost.values()) * 1000:.0f} ms** "
          f"({sum(cost.values()) / max(1, len(texts)) * 1e6:.0f} µs per file)\n")
    print("| # | anti-pattern | checks (codes) | on its wrong example | errors+warnings / hints "
          "on the manual |")
    print("|---|---|---|---|---|")
    for number, what, codes in rows:
        if not codes:
            print(f"| {number} | {what} | — | — | — |")
            continue
        wrong = sum(found_in_cases[f"{c}:{c}"] for c in codes)
        manual_err = sum(n for (c, sev), n in hits.items() if c in codes and sev < 4)
        manual_hint = sum(n for (c, sev), n in hits.items() if c in codes and sev == 4)
        shown = ", ".join(f"`{c}`" for c in codes)
        case = f"{wrong} found" if any((CASES / f"{c}.csd").exists() for c in codes) else \
            "(older check)"
        print(f"| {number} | {what} | {len(codes)} ({shown}) | {case} | "
              f"{manual_err} / {manual_hint} |")
    good = [k for k in found_in_cases if k.startswith("good:")]
    print(f"\n- `good.csd` (every right form): {len(good)} diagnostics")
    print()


if __name__ == "__main__":
    main()
