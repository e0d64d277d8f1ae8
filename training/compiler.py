"""Syntax-check Csound code with the real compiler, with an on-disk cache keyed by content.

`csound_assist.diagnostics.compiler` owns the product's compiler check and its sandbox (the checked
copy drops `<CsScore bin=…>`, plugin-loading options and absolute `<CsFileB>` paths); every check
here goes through it. This is the training pipeline's thin batch wrapper: thousands of checks,
cached by content hash, run in a thread pool because each check mostly waits on process start-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from csound_assist.diagnostics import compiler

_ANSI = re.compile(r"\x1b\[[0-9;]*m|\[m")
# Lines that report the run rather than the code: dropped from the message shown to the model.
_NOISE = re.compile(
    r"^(UnifiedCSD:|orchname:|scoreless operation|end of score|\s*overall |"
    r"\d+ errors in performance|Elapsed time|Parsing failed|Stopping on parser failure|"
    r"cannot compile orchestra|STARTING FILE|Creating options|Creating orchestra|"
    r"Closing file|Csound version|virtual_keyboard|rtaudio|rtmidi|--Csound|libsndfile|"
    r"sorting score|displays suppressed|0dBFS level|graphics|Reading options|no sound written|"
    r"\s*$)"
)
CHECK_NAME = "input.csd"  # stable file name so messages do not leak temp paths


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str  # the compiler's error lines, cleaned; "" when ok

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "message": self.message}


def clean_message(stderr: str) -> str:
    """Keep the lines that explain the error; drop banners, timing and ANSI colour codes."""
    lines = []
    for raw in _ANSI.sub("", stderr).splitlines():
        line = raw.rstrip()
        if _NOISE.match(line):
            continue
        lines.append(line)
    return "\n".join(lines[:12]).strip()


def run_check(csd: str, csound: str = "csound", timeout_s: float = 60.0) -> CheckResult:
    """`csound --syntax-check-only` on one CSD text, through the product's sandboxed check."""
    if shutil.which(csound) is None:
        raise RuntimeError(f"cannot run csound ({csound!r}): not found")
    # Each worker thread runs its own short event loop; the check itself is a subprocess.
    result = asyncio.run(
        compiler.run_check(csd, Path(CHECK_NAME), executable=csound, timeout=timeout_s)
    )
    if result.timed_out:
        return CheckResult(False, "csound timed out")
    if result.returncode == 0:
        return CheckResult(True, "")
    return CheckResult(False, clean_message(result.output) or "compilation failed")


class Checker:
    """Batch checker with a JSON-lines cache, safe to share between threads."""

    def __init__(
        self,
        cache_path: Path | None,
        csound: str = "csound",
        workers: int = 8,
        timeout_s: float = 60.0,
    ) -> None:
        self.csound = csound
        self.workers = workers
        self.timeout_s = timeout_s
        self.cache_path = cache_path
        self._cache: dict[str, CheckResult] = {}
        self._lock = threading.Lock()
        self.runs = 0
        if cache_path and cache_path.exists():
            for line in cache_path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self._cache[row["key"]] = CheckResult(bool(row["ok"]), str(row["message"]))
                except (json.JSONDecodeError, KeyError):
                    continue  # a torn last line from an interrupted run

    @staticmethod
    def key(csd: str) -> str:
        return hashlib.sha256(csd.encode("utf-8")).hexdigest()

    def check(self, csd: str) -> CheckResult:
        k = self.key(csd)
        with self._lock:
            hit = self._cache.get(k)
        if hit is not None:
            return hit
        result = run_check(csd, self.csound, self.timeout_s)
        with self._lock:
            self._cache[k] = result
            self.runs += 1
            if self.cache_path:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                with self.cache_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"key": k, **result.to_json()}) + "\n")
        return result

    def check_many(self, csds: Iterable[str]) -> list[CheckResult]:
        items = list(csds)
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(self.check, items))
        logger.debug("checked {} CSDs ({} compiler runs so far)", len(items), self.runs)
        return results
