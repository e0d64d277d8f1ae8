"""Grammar benchmark: parse all Csound manual examples, time it, and time incremental reparses.

Prints a markdown section to stdout:
- how many examples parse with zero ERROR/MISSING nodes, and every failure with its cause (Csound's
  own `--syntax-check-only` verdict: a bug in the file when Csound rejects it too, ours otherwise);
- total parse time of all examples (goal <= 1 s);
- reparse time after a one-character edit in a 5,000-line file (goal <= 1 ms), with a full parse
  of the same file as the baseline.

Usage: python bench/grammar.py [--manual DIR] [--csound PATH]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from csound_assist import parsing

DEFAULT_MANUAL = Path("/usr/share/doc/csound-doc/html")
TARGET_LINES = 5000
CSOUND7_FILES = Path(__file__).resolve().parent.parent / "tests" / "data" / "csound7"


def read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def csound_verdict(csound: str | None, path: Path, source: bytes) -> str:
    """What Csound says about a file we fail on."""
    if csound is None:
        return "unknown (csound not installed)"
    with tempfile.TemporaryDirectory() as tmp:
        csd = Path(tmp) / path.name.removesuffix(".gz")
        csd.write_bytes(source)
        try:
            proc = subprocess.run([csound, "--syntax-check-only", csd.name], cwd=tmp,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                                  check=False)
        except subprocess.TimeoutExpired:
            return "unknown (csound timed out)"
    log = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
    errors = [line.strip() for line in log.splitlines() if "error" in line.lower()]
    if "Syntax check completed" in log or not errors:
        return "**ours**: Csound accepts the file"
    first = errors[0].replace("\x1b[m", "").replace("|", "\\|")
    return f"bug in the file: Csound says `{first[:90]}`"


def best_of(runs: int, fn) -> float:  # noqa: ANN001
    """Best wall-clock time of `runs` calls."""
    return best_of_both(runs, fn)[0]


def best_of_both(runs: int, fn) -> tuple[float, float]:  # noqa: ANN001
    """Best wall-clock and best CPU time of `runs` calls (CPU time is steadier when busy)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def big_file(sources: list[bytes]) -> bytes:
    """A 5,000-line CSD assembled from the instruments of clean manual examples."""
    blocks: list[bytes] = []
    lines = 0
    number = 1
    for source in sources:
        tree = parsing.parse(source)
        if parsing.problems(tree):
            continue
        for instrument in parsing.instruments(tree):
            body = instrument.node.child_by_field_name("body")
            text = b"" if body is None else source[body.start_byte:body.end_byte]
            block = b"instr %d\n%s\nendin\n\n" % (number, text)
            blocks.append(block)
            number += 1
            lines += block.count(b"\n")
            if lines >= TARGET_LINES:
                orchestra = b"".join(blocks)
                head = b"<CsoundSynthesizer>\n<CsOptions>\n-n\n</CsOptions>\n<CsInstruments>\n"
                tail = b"</CsInstruments>\n<CsScore>\ne\n</CsScore>\n</CsoundSynthesizer>\n"
                return head + orchestra + tail
    raise SystemExit("not enough clean examples to build a 5,000-line file")


def incremental(source: bytes, repeats: int = 200) -> tuple[float, float, int, bool]:
    """Median reparse time after a one-character edit near the middle, and a full parse."""
    p = parsing.parser()
    middle = len(source) // 2
    at = source.index(b"0.", middle) + 2  # a digit after a decimal point: `0.5` -> `0.7` etc.
    row = source.count(b"\n", 0, at)
    col = at - (source.rfind(b"\n", 0, at) + 1)
    digits = b"0123456789"
    reparse: list[float] = []
    tree = p.parse(source)
    current = source
    for i in range(repeats):
        new_char = digits[(digits.index(current[at:at + 1]) + 1 + i % 8) % 10:][:1] or b"1"
        edited = current[:at] + new_char + current[at + 1:]
        start = time.perf_counter()
        tree.edit(start_byte=at, old_end_byte=at + 1, new_end_byte=at + 1,
                  start_point=(row, col), old_end_point=(row, col + 1),
                  new_end_point=(row, col + 1))
        tree = p.parse(edited, tree)
        reparse.append(time.perf_counter() - start)
        current = edited
    same = str(tree.root_node) == str(p.parse(current).root_node)
    full = best_of(20, lambda: p.parse(current))
    return statistics.median(reparse), full, current.count(b"\n"), same


def main() -> None:
    ap = argparse.ArgumentParser(description="tree-sitter-csound benchmark")
    ap.add_argument("--manual", type=Path, default=DEFAULT_MANUAL)
    ap.add_argument("--csound", default=shutil.which("csound"))
    args = ap.parse_args()

    examples = args.manual / "examples"
    files = sorted(examples.rglob("*.csd")) + sorted(examples.rglob("*.csd.gz"))
    print("## Grammar (tree-sitter-csound)\n")
    if not files:
        print(f"No manual examples under {examples}; nothing measured.\n")
        return
    sources = [read(f) for f in files]
    p = parsing.parser()

    failures = []
    for path, source in zip(files, sources, strict=True):
        problems = parsing.problems(p.parse(source))
        if problems:
            failures.append((path, source, problems[0]))
    clean = len(files) - len(failures)
    total, total_cpu = best_of_both(3, lambda: [p.parse(s) for s in sources])
    size = sum(len(s) for s in sources)

    print(f"- Manual examples: {len(files)} ({sum(f.suffix == '.gz' for f in files)} gzipped), "
          f"{size / 1e6:.1f} MB")
    print(f"- Clean parses (zero ERROR/MISSING): **{clean} / {len(files)} "
          f"({100 * clean / len(files):.2f} %)** — goal >= 99 %")
    print(f"- Total parse time of all examples: **{total * 1000:.0f} ms** wall, "
          f"{total_cpu * 1000:.0f} ms CPU ({size / total_cpu / 1e6:.1f} MB/s of CPU, best of 3) "
          f"— goal <= 1 s")
    verdicts = {f: csound_verdict(args.csound, f, src) for f, src, _ in failures}
    # Files Csound itself rejects are bugs in the file: the share counts the others.
    accepted = len(files) - sum(v.startswith("bug in the file") for v in verdicts.values())
    print(f"- Of the examples Csound accepts, clean: **{clean} / {accepted} "
          f"({100 * clean / max(1, accepted):.2f} %)** — goal >= 99.8 %")
    c7 = sorted(CSOUND7_FILES.iterdir()) if CSOUND7_FILES.is_dir() else []
    c7_problems = [(f.name, len(parsing.problems(p.parse(f.read_bytes())))) for f in c7]
    print(f"- Csound 7 test files (tests/data/csound7): {len(c7)}, with ERROR/MISSING nodes: "
          f"**{sum(1 for _, n in c7_problems if n)}** "
          f"({sum(n for _, n in c7_problems)} problems) — goal 0")

    big = big_file(sources)
    orchestra = big[big.index(b"<CsInstruments>\n") + 16:big.index(b"</CsInstruments>")]
    for kind, text in (("CSD", big), ("orchestra (.orc)", orchestra)):
        median, full, lines, same = incremental(text)
        print(f"- Incremental reparse after a one-character edit in a {lines:,}-line {kind} file: "
              f"**{median * 1000:.3f} ms** (median of 200) — goal <= 1 ms; baseline full parse "
              f"of the same file: {full * 1000:.2f} ms; incremental tree identical to a fresh "
              f"parse: {'yes' if same else '**NO**'}")

    print("\n### Examples that do not parse cleanly\n")
    if not failures:
        print("None.\n")
        return
    print("| file | first problem | cause |")
    print("|---|---|---|")
    for path, _source, problem in failures:
        where = f"{problem.start.row + 1}:{problem.start.column + 1} {problem.message}"
        print(f"| {path.name} | {where.replace('|', chr(92) + '|')} | "
              f"{verdicts[path]} |")
    print()


if __name__ == "__main__":
    sys.exit(main())
