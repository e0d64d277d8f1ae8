"""Run every bench/<area>.py and write BENCHMARKS.md: machine, date, then each area's section.

Each area script prints one markdown section (measuring its own baseline in the same run) and
exits 0.
A failing area is reported in the file, not hidden. `bench/run.py AREA...` re-measures only those
areas and keeps the other sections of the existing file (each section sits between markers).
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"run.py", "fuzz.py"}
#: Areas too long for every `make bench` (setup: most of an hour; model_quality: hours with every
#: arm — `bench/run.py model_quality`, sizes via MODEL_QUALITY_ARGS); run when named.
ON_REQUEST = {"setup", "model_quality"}
ORDER = ["knowledge", "grammar", "lsp", "diagnostics", "retrieval", "ai"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    csound = subprocess.run(
        ["csound", "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    ).stderr.splitlines()
    version = next((ln for ln in csound if "Csound version" in ln), "csound: not found").strip("- ")
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {version}"
    )


def _sections(text: str) -> dict[str, str]:
    pattern = re.compile(r"<!-- bench:(\w+) -->\n.*?<!-- /bench:\1 -->", re.DOTALL)
    return {m.group(1): m.group(0) for m in pattern.finditer(text)}


def main() -> int:
    scripts = sorted(p for p in (ROOT / "bench").glob("*.py") if p.name not in SKIP)
    scripts.sort(key=lambda p: ORDER.index(p.stem) if p.stem in ORDER else len(ORDER))
    only = set(sys.argv[1:])
    target = ROOT / "BENCHMARKS.md"
    previous = _sections(target.read_text()) if target.exists() else {}
    sections = []
    for script in scripts:
        if (only and script.stem not in only) or (not only and script.stem in ON_REQUEST):
            if script.stem in previous:
                sections.append(previous[script.stem])
            continue
        print(f"bench: {script.stem} …", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
            stdin=subprocess.DEVNULL,
        )
        took = time.perf_counter() - t0
        if proc.returncode == 0:
            when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            body = proc.stdout.strip() + f"\n\n_(measured {when} in {took:.0f} s)_"
        else:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
            body = f"## {script.stem}\n\n**FAILED** (exit {proc.returncode}):\n\n```\n{tail}\n```"
        sections.append(f"<!-- bench:{script.stem} -->\n{body}\n<!-- /bench:{script.stem} -->")
        print(f"bench: {script.stem} done in {took:.0f} s", file=sys.stderr, flush=True)
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench` (bench/run.py); do not edit by hand.\n\n"
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- Machine: {machine()}\n"
    )
    target.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
