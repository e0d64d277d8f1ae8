"""Knowledge-base benchmark: build time, cache load time, manual coverage of the `csound -z1` names.

Prints a markdown section. Baselines measured in the same run: the stdlib `html.parser` merely
tokenizing the same manual pages (the approach the regex reader replaces), and loading the same data
from JSON instead of pickle (the cache format not chosen).

    .venv/bin/python bench/knowledge.py [--manual DIR] [--csound EXE] [--builds N]
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from html.parser import HTMLParser
from pathlib import Path

import csound_assist.knowledge as knowledge
from csound_assist.knowledge import (
    DEFAULT_MANUAL_DIR,
    Flag,
    KnowledgeBase,
    ManualEntry,
    Opcode,
    Signature,
    build_knowledge_base,
    load_knowledge_base,
)

COLD = """
import sys, time
t0 = time.perf_counter()
from csound_assist.knowledge import load_knowledge_base
t1 = time.perf_counter()
kb = load_knowledge_base(executable=sys.argv[1], manual_dir=sys.argv[2], cache_dir=sys.argv[3])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, len(kb.opcodes))
"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def html_parser_baseline(manual_dir: Path) -> float:
    class Tokenizer(HTMLParser):
        pass

    t0 = time.perf_counter()
    for path in sorted(manual_dir.glob("*.html")):
        Tokenizer().feed(path.read_text(encoding="utf-8", errors="replace"))
    return time.perf_counter() - t0


def from_json(data: dict) -> KnowledgeBase:
    """What a JSON cache would have to do on every load: parse, then rebuild the objects."""
    def opcode(d: dict) -> Opcode:
        sigs = [Signature(s["outputs"], s["inputs"], tuple(s["in_names"]), tuple(s["out_names"]))
                for s in d.pop("signatures")]
        return Opcode(signatures=sigs, **d)

    flags: dict[str, Flag] = {}
    for key, f in data["flags"].items():
        flags[key] = Flag(**f)
    return KnowledgeBase(
        opcodes={k: opcode(v) for k, v in data["opcodes"].items()},
        gens={k: ManualEntry(**v) for k, v in data["gens"].items()},
        score_statements={k: ManualEntry(**v) for k, v in data["score_statements"].items()},
        header_vars={k: ManualEntry(**v) for k, v in data["header_vars"].items()},
        directives={k: ManualEntry(**v) for k, v in data["directives"].items()},
        keywords={k: ManualEntry(**v) for k, v in data["keywords"].items()},
        flags=flags, csound_version=data["csound_version"], manual_dir=data["manual_dir"],
        notes=data["notes"],
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--manual", default=DEFAULT_MANUAL_DIR)
    ap.add_argument("--csound", default="csound")
    ap.add_argument("--builds", type=int, default=2)
    args = ap.parse_args()
    manual_dir = Path(args.manual)
    print("## Knowledge base\n")
    try:
        knowledge.find_executable(args.csound)
    except knowledge.CsoundNotFoundError as exc:
        print(f"Not measured: {exc}\n")
        return 0

    builds = []
    for _ in range(max(1, args.builds)):
        t0 = time.perf_counter()
        kb = build_knowledge_base(args.csound, manual_dir)
        builds.append(time.perf_counter() - t0)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        load_knowledge_base(executable=args.csound, manual_dir=manual_dir, cache_dir=tmp)
        first_load = time.perf_counter() - t0  # a build plus writing the cache
        cache_file = next(Path(tmp).glob("kb-*.pickle"))
        size = cache_file.stat().st_size
        colds = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", COLD, args.csound, str(manual_dir), tmp],
                capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
            ).stdout.split()
            colds.append((float(out[0]), float(out[1])))
        warms = []
        for _ in range(5):
            knowledge._loaded.clear()
            t0 = time.perf_counter()
            load_knowledge_base(executable=args.csound, manual_dir=manual_dir, cache_dir=tmp)
            warms.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        load_knowledge_base(executable=args.csound, manual_dir=manual_dir, cache_dir=tmp)
        memo = time.perf_counter() - t0

    blob = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
    text = json.dumps(asdict(kb))
    picks, jsons = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        pickle.loads(blob)
        picks.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        from_json(json.loads(text))
        jsons.append(time.perf_counter() - t0)

    baseline = html_parser_baseline(manual_dir) if manual_dir.is_dir() else None

    names = sorted(kb.opcodes)
    documented = [n for n in names if kb.opcodes[n].summary]
    undocumented = [n for n in names if not kb.opcodes[n].summary]
    with_params = sum(1 for n in names if kb.opcodes[n].params)
    named_sigs = sum(1 for op in kb.opcodes.values() for s in op.signatures if s.in_names)
    all_sigs = sum(len(op.signatures) for op in kb.opcodes.values())
    cold_import = statistics.median(c[0] for c in colds)
    cold_load = statistics.median(c[1] for c in colds)

    print(f"Csound {kb.csound_version}; manual `{kb.manual_dir or 'not installed'}`.\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| build (`csound -z1` + whole manual), {len(builds)} runs | "
          f"{' / '.join(f'{b:.2f} s' for b in builds)} | ≤ 10 s |")
    if baseline is not None:
        print(f"| baseline: stdlib `html.parser`, tokenizing the same pages only | "
              f"{baseline:.2f} s | – |")
    print(f"| first load (build + write cache) | {first_load:.2f} s | – |")
    print(f"| cold load in a fresh process (median of 3) | {ms(cold_load)} "
          f"(+ {ms(cold_import)} importing the package) | ≤ 200 ms |")
    print(f"| warm load from disk, same process (median of 5) | {ms(statistics.median(warms))} "
          f"| ≤ 200 ms |")
    print(f"| repeated load (in-process memo) | {memo * 1e6:.0f} µs | – |")
    print(f"| unpickle only (median of 5) | {ms(statistics.median(picks))} | – |")
    print(f"| baseline: JSON parse + object rebuild of the same data | "
          f"{ms(statistics.median(jsons))} | – |")
    print(f"| cache file | {size / 1e6:.1f} MB pickle ({len(text) / 1e6:.1f} MB as JSON) | – |")
    print()
    print("| coverage | count |")
    print("|---|---|")
    print(f"| `csound -z1` names | {len(names)} |")
    print(f"| with a manual summary (goal ≥ 1,500) | {len(documented)} |")
    print(f"| with parameter docs | {with_params} |")
    print(f"| signatures with manual argument names | {named_sigs} of {all_sigs} |")
    print(f"| deprecated | {sum(1 for n in names if kb.opcodes[n].deprecated)} |")
    print(f"| GEN routines | {len(kb.gens)} |")
    print(f"| score statements | {len(kb.score_statements)} |")
    print(f"| header variables | {len(kb.header_vars)} |")
    print(f"| preprocessor directives | {len(kb.directives)} |")
    print(f"| keywords and operators | {len(kb.keywords)} |")
    print(f"| command-line flags (distinct / spellings) | "
          f"{len({id(f) for f in kb.flags.values()})} / {len(kb.flags)} |")
    print()
    print(f"Without a manual summary ({len(undocumented)}): "
          + (", ".join(f"`{n}`" for n in undocumented) or "none") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
