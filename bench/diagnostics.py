"""Diagnostics: the mutation benchmark over the manual's examples, and check latency vs raw csound.

1. Every manual example that compiles (`csound --syntax-check-only` passes) is a base file. For each
   error class, a seeded sample of bases gets that one error planted (`diagnostics.mutate`).
   Detection: a diagnostic (not a hint) on the planted line. Fix success: applying the preferred
   fixes (re-checking between rounds, as `csound-assist fix` does) leaves a file the compiler
   passes and in which the planted problem is no longer reported.
2. Latency: the full compiler check (`CompilerChecker.check`: sandboxed copy, subprocess, stderr
   parsing), the same check through the warm compiler worker (ctcsound in a child process), and a
   raw `csound --syntax-check-only FILE` process on the same files, interleaved in the same run;
   static checks timed separately. The warm and CLI checks' diagnostics are compared file by file.

    python bench/diagnostics.py [--per-class 150] [--latency-files 80] [--all] [--latency-only]
Prints a markdown section; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types as lsp

from csound_assist.diagnostics import (
    CompilerChecker,
    fix_all,
    merge,
    run_check,
    static_checks,
)
from csound_assist.diagnostics.compiler import prepare
from csound_assist.diagnostics.mutate import MUTATIONS, Mutant
from csound_assist.diagnostics.opcodes import default_table
from csound_assist.diagnostics.warm import WarmCompiler

MANUAL_EXAMPLES = Path("/usr/share/doc/csound-doc/html/examples")
CONCURRENCY = 2


async def _compiles(path: Path, sem: asyncio.Semaphore) -> bool:
    async with sem:
        text = path.read_text(encoding="utf-8", errors="replace")
        result = await run_check(text, path)
        return result.returncode == 0 and not result.timed_out


async def _diagnose(text: str, path: Path) -> tuple[list[lsp.Diagnostic], int | None]:
    result = await run_check(text, path)
    return merge(result.diagnostics, static_checks(text, path)), result.returncode


async def compiling(examples: list[Path]) -> list[Path]:
    """The examples that pass the compiler check, remembered per file (path, size, mtime) and
    Csound version, since finding them costs minutes on two cores."""
    from csound_assist.paths import cache_dir

    version = (
        subprocess.run(
            [shutil.which("csound") or "csound", "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        .stderr.strip()
        .splitlines()[:1]
    )
    store = cache_dir() / "bench-diagnostics-compiling.json"
    try:
        cached = json.loads(store.read_text())
    except (OSError, ValueError):
        cached = {}
    if cached.get("version") != version:
        cached = {"version": version, "files": {}}
    sem = asyncio.Semaphore(CONCURRENCY)

    def key(p: Path) -> str:
        st = p.stat()
        return f"{p}:{st.st_size}:{st.st_mtime_ns}"

    todo = [p for p in examples if key(p) not in cached["files"]]
    results = await asyncio.gather(*(_compiles(p, sem) for p in todo))
    for p, good in zip(todo, results, strict=True):
        cached["files"][key(p)] = good
    store.write_text(json.dumps(cached))
    return [p for p in examples if cached["files"][key(p)]]


def _on_line(diags: list[lsp.Diagnostic], lines: set[int]) -> bool:
    return any(
        d.severity != lsp.DiagnosticSeverity.Hint
        and any(d.range.start.line <= ln <= d.range.end.line for ln in lines)
        and (d.range.end.line - d.range.start.line) < 50  # a whole-file range is not "on the line"
        for d in diags
    )


async def _evaluate(m: Mutant, path: Path, sem: asyncio.Semaphore) -> tuple[bool, bool | None]:
    async with sem:
        diags, _rc = await _diagnose(m.text, path)
        detected = _on_line(diags, {m.line, *m.also})
        if not m.fixable:
            return detected, None
        text = m.text
        for _ in range(4):
            new = fix_all(text, diags)
            if new == text:
                break
            text = new
            diags, _rc = await _diagnose(text, path)
        result = await run_check(text, path)
        still = [d for d in static_checks(text, path) if d.code in m.codes]
        fixed = result.returncode == 0 and not still
        return detected, fixed


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


async def mutation_bench(bases: list[Path], per_class: int | None, seed: int) -> list[str]:
    table = default_table()
    sem = asyncio.Semaphore(CONCURRENCY)
    rows = []
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for name, mutate in MUTATIONS.items():
        rnd = random.Random(f"{seed}:{name}")
        order = bases[:]
        rnd.shuffle(order)
        jobs = []
        for base in order:
            m = mutate(base.read_text(encoding="utf-8", errors="replace"), rnd, table)
            if m is not None:
                jobs.append((m, base))
            if per_class is not None and len(jobs) >= per_class:
                break
        results = await asyncio.gather(*(_evaluate(m, b, sem) for m, b in jobs))
        t = totals[name]
        t[0] = len(results)
        t[1] = sum(d for d, _f in results)
        fixes = [f for _d, f in results if f is not None]
        t[2], t[3] = len(fixes), sum(fixes)
        fix = f"{_pct(t[3], t[2])} ({t[3]}/{t[2]})" if jobs and jobs[0][0].fixable else "no fix"
        rows.append(f"| {name} | {t[0]} | {_pct(t[1], t[0])} ({t[1]}/{t[0]}) | {fix} |")
        print(f"  {name}: {t[1]}/{t[0]} detected, fix {t[3]}/{t[2]}", file=sys.stderr, flush=True)
    n = sum(t[0] for t in totals.values())
    det = sum(t[1] for t in totals.values())
    fx = sum(t[2] for t in totals.values())
    ok = sum(t[3] for t in totals.values())
    rows.append(f"| **all** | {n} | **{_pct(det, n)}** | **{_pct(ok, fx)}** |")
    return rows


async def false_positives(bases: list[Path]) -> tuple[int, int, dict[str, int]]:
    """Static errors/warnings on files the compiler accepts (lower is better)."""
    counts: dict[str, int] = defaultdict(int)
    files = 0
    for base in bases:
        diags = static_checks(base.read_text(encoding="utf-8", errors="replace"), base)
        errs = [d for d in diags if d.severity == lsp.DiagnosticSeverity.Error]
        files += bool(errs)
        for d in errs:
            counts[str(d.code)] += 1
    return files, len(bases), dict(counts)


async def _time_process(exe: str, args: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        exe,
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    await proc.communicate()
    return time.perf_counter() - t0


@dataclass
class Latency:
    ours: list[float] = field(default_factory=list)  # CLI check
    warm: list[float] = field(default_factory=list)  # warm worker check
    raw: list[float] = field(default_factory=list)
    same: list[float] = field(default_factory=list)
    static: list[float] = field(default_factory=list)
    warm_answered: int = 0  # warm checks the worker answered (not the CLI fallback)
    differing: list[str] = field(default_factory=list)  # files whose diagnostics differ


def _key(d: lsp.Diagnostic) -> tuple[object, ...]:
    r = d.range
    return (r.start.line, r.start.character, r.end.line, r.end.character, d.code, d.message)


async def latency_bench(files: list[Path]) -> Latency:
    """Per file, interleaved in rotating order: the full check, the warm check, raw csound on the
    user's file, raw csound on the prepared copy with the checker's flags (the pure process
    cost), and the static checks."""
    exe = shutil.which("csound") or "csound"
    checker = CompilerChecker()
    warm = WarmCompiler()
    warm_checker = CompilerChecker(warm=warm)
    out = Latency()
    if not await warm.wait_ready():
        print(f"  warm compiler unavailable: {warm.unavailable}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(files):
            text = path.read_text(encoding="utf-8", errors="replace")
            prepared = prepare(text, path, Path(tmp))
            order = ["ours", "warm", "raw", "same"]
            order = order[n % 4 :] + order[: n % 4]
            diags: dict[str, list[tuple[object, ...]]] = {}
            for _ in range(2):
                for which in order:
                    if which == "raw":
                        out.raw.append(
                            await _time_process(
                                exe, ["--syntax-check-only", path.name], path.parent
                            )
                        )
                    elif which == "same":
                        out.same.append(await _time_process(exe, prepared.args, prepared.cwd))
                    else:
                        use = warm_checker if which == "warm" else checker
                        t0 = time.perf_counter()
                        result = await use.check_result(str(path), text, path)
                        (out.warm if which == "warm" else out.ours).append(
                            time.perf_counter() - t0
                        )
                        out.warm_answered += result.via == "worker"
                        diags[result.via] = sorted(map(_key, result.diagnostics))
            if "worker" in diags and diags["worker"] != diags.get("cli"):
                out.differing.append(path.name)
            t0 = time.perf_counter()
            static_checks(text, path)
            out.static.append(time.perf_counter() - t0)
    await warm.aclose()
    return out


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def latency_lines(lat: Latency, count: int) -> list[str]:
    ratio = _p(lat.ours, 95) / _p(lat.raw, 95)
    ratio_same = _p(lat.ours, 95) / _p(lat.same, 95)
    lines = [
        f"Check latency over {count} examples, each measured twice per way, interleaved:",
        "",
        "| | p50 | p95 |",
        "|---|---|---|",
        f"| raw `csound --syntax-check-only FILE` | {_p(lat.raw, 50) * 1000:.0f} ms | "
        f"{_p(lat.raw, 95) * 1000:.0f} ms |",
        f"| raw csound on the checker's prepared copy, same flags | "
        f"{_p(lat.same, 50) * 1000:.0f} ms | {_p(lat.same, 95) * 1000:.0f} ms |",
        f"| compiler check, CLI (sandboxed copy + subprocess + parse) | "
        f"{_p(lat.ours, 50) * 1000:.0f} ms | {_p(lat.ours, 95) * 1000:.0f} ms |",
    ]
    if lat.warm_answered:
        lines.append(
            f"| compiler check, warm worker (ctcsound in a child process) | "
            f"{_p(lat.warm, 50) * 1000:.1f} ms | {_p(lat.warm, 95) * 1000:.1f} ms |"
        )
    lines += [
        f"| static checks (in process) | {_p(lat.static, 50) * 1000:.1f} ms | "
        f"{_p(lat.static, 95) * 1000:.1f} ms |",
        "",
        f"p95 ratio CLI compiler check / raw csound on the file: **{ratio:.2f}×**; / raw csound on "
        f"the same prepared copy: **{ratio_same:.2f}×** (our own overhead). The checked copy drops "
        "`<CsOptions>` (no `-odac`, MIDI or plugin flags) and runs with `-n -d`, which can make it "
        "faster than csound on the file as written.",
    ]
    if lat.warm_answered:
        warm_ratio = _p(lat.warm, 95) / _p(lat.raw, 95)
        same = (
            "the same diagnostics (ranges, codes, messages) as the CLI check on every file"
            if not lat.differing
            else f"different diagnostics from the CLI check on {', '.join(lat.differing)}"
        )
        lines.append(
            f"Warm worker: p95 ratio / raw csound **{warm_ratio:.3f}×** (goal ≤ 0.1×); it "
            f"answered {lat.warm_answered} of {len(lat.warm)} checks and gave {same}."
        )
    else:
        lines.append("Warm worker: unavailable (ctcsound cannot be loaded); every check is a "
                     "fresh process.")
    return lines


def bounds_bench(runs: int = 3) -> list[str]:
    """`csound-assist check` (a whole CLI process, as a user runs it) on a CSD whose orchestra
    includes /dev/zero, a FIFO nobody writes, and a 1 GB (sparse) file: wall time to the
    diagnostic. Unbounded, the first read without end and the second blocked forever."""
    import os

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.mkfifo(folder / "pipe.inc")
        with (folder / "huge.inc").open("wb") as fh:
            fh.truncate(1 << 30)
        for include in ("/dev/zero", "pipe.inc", "huge.inc"):
            (folder / "x.csd").write_text(
                "<CsoundSynthesizer>\n<CsInstruments>\nsr = 44100\nksmps = 32\nnchnls = 2\n"
                f'0dbfs = 1\n#include "{include}"\ninstr 1\n  a1 vco2 0.1, 440\n  outs a1, a1\n'
                "endin\n</CsInstruments>\n<CsScore>\ni 1 0 1\n</CsScore>\n</CsoundSynthesizer>\n"
            )
            times, said = [], ""
            for _ in range(runs):
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "csound_assist", "check", "x.csd"], cwd=folder,
                    stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                    check=False,
                )
                times.append(time.perf_counter() - t0)
                said = next((ln for ln in proc.stdout.splitlines() if "unreadable-include" in ln),
                            "(no diagnostic)")
            rows.append(f"| `#include \"{include}\"` | {statistics.median(times):.2f} s | "
                        f"{max(times):.2f} s | {said.split('] ', 1)[-1]} |")
    return [
        f"`csound-assist check` on a file with a hostile include, {runs} runs each (a whole CLI "
        "process, Python start-up included; goal ≤ 1 s):",
        "",
        "| include | median | max | diagnostic |",
        "|---|---|---|---|",
        *rows,
    ]


async def main_async(args: argparse.Namespace) -> str:
    examples = sorted(Path(args.examples).glob("*.csd"))
    rnd = random.Random(args.seed)
    if args.latency_only:
        lat_files = rnd.sample(examples, min(args.latency_files, len(examples)))
        lat = await latency_bench(lat_files)
        return "\n".join(["## Diagnostics (latency only)", "", *latency_lines(lat, len(lat_files)),
                          "", *bounds_bench()])
    t0 = time.perf_counter()
    bases = await compiling(examples)
    t_filter = time.perf_counter() - t0
    per_class = None if args.all else args.per_class
    t0 = time.perf_counter()
    rows = await mutation_bench(bases, per_class, args.seed)
    t_mut = time.perf_counter() - t0
    fp_files, fp_total, fp_codes = await false_positives(bases)
    lat_files = rnd.sample(bases, min(args.latency_files, len(bases)))
    lat = await latency_bench(lat_files)
    sampled = (
        "every applicable base file"
        if per_class is None
        else (
            f"a seeded sample of up to {per_class} base files per class (the full set takes "
            "too long on 2 shared cores; `--all` runs it)"
        )
    )
    fp_detail = ", ".join(f"{k} {v}" for k, v in sorted(fp_codes.items(), key=lambda kv: -kv[1]))
    lines = [
        "## Diagnostics",
        "",
        f"Manual examples: {len(examples)} `.csd` files, {len(bases)} pass "
        f"`csound --syntax-check-only` (filtered in {t_filter:.0f} s). Mutants: {sampled}; "
        f"seed {args.seed}; {t_mut:.0f} s.",
        "",
        "| error class | mutants | detected (diagnostic on the planted line) "
        "| preferred fix → compiles |",
        "|---|---|---|---|",
        *rows,
        "",
        "Goals: detection ≥ 99%, fix success ≥ 90% for classes with a fix. For a deleted line "
        "(`endin`, a header line) the diagnostic may sit on the block's `instr` line or on "
        "`<CsInstruments>`; a whole-file diagnostic does not count.",
        "",
        f"Static checks on the compiling examples: {fp_files} of {fp_total} files get at least one "
        f"static *error* (false positives, by code: {fp_detail or 'none'}).",
        "",
        *latency_lines(lat, len(lat_files)),
        "",
        *bounds_bench(),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", default=str(MANUAL_EXAMPLES))
    parser.add_argument("--per-class", type=int, default=150)
    parser.add_argument("--latency-files", type=int, default=80)
    parser.add_argument("--all", action="store_true", help="every base file for every class")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-only", action="store_true",
                        help="only the latency comparison, on a sample of every example")
    args = parser.parse_args()
    if shutil.which("csound") is None or not Path(args.examples).is_dir():
        print("## Diagnostics\n\nSkipped: csound or the manual's examples are not installed.")
        return 0
    from loguru import logger

    logger.remove()
    print(asyncio.run(main_async(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
