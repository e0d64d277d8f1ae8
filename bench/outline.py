"""The shared model's cost per edit (issue 16): a one-character edit in a 5,000-line .csd, then
the incremental re-parse and the Outline rebuild every feature (hover, completion, symbols, the
AI context) reads. Target: ≤ 5 ms per rebuild.

Measured per edit: the incremental tree update (Document.apply_changes), the Outline rebuild
(build_outline after the edit cleared its cache), and the AI cursor context on the rebuilt
outline (ai.context.cursor_context, which reuses it). Baseline in the same run: a full Outline
build of the same text from its tree, which is what every edit cost before the update path.

Prints a markdown section to stdout. Usage: python bench/outline.py [--edits N] [--lines N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from lsp import make_csd  # noqa: E402

from csound_assist import parsing  # noqa: E402
from csound_assist.ai.context import cursor_context  # noqa: E402
from csound_assist.features.analysis import build_outline  # noqa: E402
from csound_assist.features.document import Document  # noqa: E402
from csound_assist.knowledge import load_knowledge_base  # noqa: E402


def _stats(values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)
    return f"{statistics.median(values):.1f} / {p95:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description="outline rebuild per edit")
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--lines", type=int, default=5000)
    args = ap.parse_args()
    kb = load_knowledge_base()
    text = make_csd(args.lines)
    doc = Document.from_text("file:///bench.csd", text, kind="csd", parse_fn=parsing.parse)
    build_outline(doc, kb)
    rows = [i for i, line in enumerate(doc.lines) if "moogladder" in line]
    parse_ms, outline_ms, ai_ms = [], [], []
    for k in range(args.edits):
        row = rows[(k * 37) % len(rows)]
        col = doc.lines[row].index("0.6")
        # Alternate 0.6 → 0.7 → 0.6: the same text shape, a real incremental edit each time.
        new = "7" if doc.lines[row][col + 2] == "6" else "6"
        t0 = time.perf_counter()
        doc.apply_changes([((row, col + 2, row, col + 3), new)], version=k + 1)
        t1 = time.perf_counter()
        outline = build_outline(doc, kb)
        t2 = time.perf_counter()
        offset = doc.line_starts[row] + col
        cursor_context(doc.text, offset, outline)
        t3 = time.perf_counter()
        parse_ms.append((t1 - t0) * 1000)
        outline_ms.append((t2 - t1) * 1000)
        ai_ms.append((t3 - t2) * 1000)
    full_ms = []
    for _ in range(3):  # what every edit cost before: the whole outline, from the tree
        fresh = Document.from_text("file:///bench.csd", doc.text, kind="csd",
                                   parse_fn=parsing.parse)
        t0 = time.perf_counter()
        build_outline(fresh, kb)
        full_ms.append((time.perf_counter() - t0) * 1000)
    print("## Outline (the shared model) rebuild per edit\n")
    print(f"`python bench/outline.py --edits {args.edits} --lines {args.lines}`: "
          f"{len(doc.lines)}-line .csd, {args.edits} one-character edits; median / p95 ms.\n")
    print("| step | ms |\n|---|---|")
    print(f"| incremental re-parse (apply_changes) | {_stats(parse_ms)} |")
    print(f"| Outline rebuild (build_outline) | {_stats(outline_ms)} |")
    print(f"| AI cursor context on it | {_stats(ai_ms)} |")
    print(f"| baseline: a full Outline build from the tree (3 runs, median) "
          f"| {statistics.median(full_ms):.1f} |")
    print("\nTarget (issue 16): Outline rebuild ≤ 5 ms.")


if __name__ == "__main__":
    main()
