"""How long the Quick start takes: `make run` (to the end of the tour), then `make test`, in a fresh
clone.

Run on request only (`bench/run.py setup`; `make bench` skips it: it takes most of an hour).
Each arm clones HEAD into an empty folder (nothing beside it) and gives the project's own caches
(knowledge base, example index, models, logs) a new empty home, so the tour builds everything a new
user's does. `warm`: the machine's pip, npm and tool caches as they are; `cold`: those empty too, so
every wheel, npm package, code-server and tree-sitter download is fetched again. Debian packages
already installed stay installed in both (apt cannot be undone here); a new machine's first apt step
is reported separately by README's Quick start.

    python bench/setup.py [warm|cold ...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARMS = ("warm", "cold")


def _env(home: Path, arm: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSOUND_ASSIST_")}
    for var in ("CACHE", "STATE", "CONFIG", "LOG"):
        env[f"CSOUND_ASSIST_{var}_DIR"] = str(home / var.lower())
    if arm == "cold":
        env.update(
            PIP_CACHE_DIR=str(home / "pip"),
            npm_config_cache=str(home / "npm"),
            VSCODE_E2E_HOME=str(home / "vscode-e2e"),
            TREE_SITTER_TOOL_CACHE=str(home / "tree-sitter"),
            HF_HOME=str(home / "hf"),
        )
    return env


def _timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    with log.open("w") as out:
        rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, check=False).returncode
    return time.perf_counter() - t0, rc


def _tail_counts(log: Path) -> str:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if " passed" in line and ("in " in line or "failed" in line):
            return line.strip("= ")
    return "–"


def measure(arm: str) -> tuple[str, str, str, str]:
    with tempfile.TemporaryDirectory(prefix=f"setup-{arm}-") as tmp:
        base = Path(tmp)
        clone = base / "clone" / "csound-assist"
        clone.parent.mkdir()
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = _env(base / "home", arm)
        logs = Path(tempfile.gettempdir())
        run_s, run_rc = _timed(["make", "run"], clone, env, logs / f"setup-{arm}-run.log")
        test_s, test_rc = _timed(["make", "test"], clone, env, logs / f"setup-{arm}-test.log")
        counts = _tail_counts(logs / f"setup-{arm}-test.log")

    def fmt(seconds: float, rc: int) -> str:
        return f"{seconds / 60:.1f} min" + ("" if rc == 0 else f" (**exit {rc}**)")

    return arm, fmt(run_s, run_rc), fmt(test_s, test_rc), counts


def main() -> int:
    arms = [a for a in sys.argv[1:] if a in ARMS] or list(ARMS)
    rows = [measure(arm) for arm in arms]
    print("## Set-up (Quick start in a fresh clone)\n")
    print(__doc__.split("\n\n")[1].replace("\n", " ") + "\n")
    print("| caches | `make run` (to the end of the tour) | then `make test` | tests |")
    print("|---|---|---|---|")
    for arm, run, test, counts in rows:
        print(f"| {arm} | {run} | {test} | {counts} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
