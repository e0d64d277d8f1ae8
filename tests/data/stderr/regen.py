"""Re-capture the golden stderr files from the installed Csound and rewrite the expected
diagnostics.

    python tests/data/stderr/regen.py         # then review `git diff tests/data/stderr`

Each case is a source file here; `<case>.stderr` is Csound's raw output on the checked copy
(exactly as the checker runs it), `<case>.expected.json` what the parser makes of it. `ansi_*`
cases keep colours on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from csound_assist.diagnostics.compiler import prepare
from csound_assist.diagnostics.stderr import parse_stderr

HERE = Path(__file__).resolve().parent
SUFFIXES = {".csd", ".orc", ".udo", ".inc"}


def cases() -> list[Path]:
    top = [p for p in sorted(HERE.iterdir()) if p.suffix in SUFFIXES]
    return [*top, HERE / "include" / "nested_include.orc"]


def capture(case: Path) -> str:
    text = case.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        prepared = prepare(text, case, Path(tmp))
        args = prepared.args
        if case.name.startswith("ansi_"):
            args = [a for a in args if a != "-+msg_color=0"]
        proc = subprocess.run(
            [shutil.which("csound") or "csound", *args],
            cwd=prepared.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=10,
            check=False,
        )
    return proc.stdout.decode("utf-8", errors="replace")


def summarize(case: Path, raw: str) -> list[dict[str, object]]:
    text = case.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        mapping = prepare(text, case, Path(tmp)).mapping
    lines = text.split("\n")
    out = []
    for d in parse_stderr(raw, text, mapping):
        s, e = d.range.start, d.range.end
        under = lines[s.line][s.character : e.character] if s.line == e.line else None
        out.append(
            {
                "range": [s.line, s.character, e.line, e.character],
                "code": d.code,
                "severity": int(d.severity or 1),
                "message": d.message,
                "text": under,
            }
        )
    return out


def main() -> int:
    for case in cases():
        raw = capture(case)
        stem = case.with_suffix("")
        Path(f"{stem}.stderr").write_text(raw, encoding="utf-8")
        expected = json.dumps(summarize(case, raw), indent=1, ensure_ascii=False)
        Path(f"{stem}.expected.json").write_text(expected + "\n", encoding="utf-8")
        print(case.relative_to(HERE), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
