"""`csound-assist hover` and `complete`: the CLI twins of the server's features (1-based LINE
COL)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "lsp-sample.csd"


def line_col(path: Path, needle: str, offset: int = 0) -> tuple[str, str]:
    lines = path.read_text().splitlines()
    row = next(i for i, ln in enumerate(lines) if needle in ln)
    return str(row + 1), str(lines[row].index(needle) + offset + 1)


def test_complete_after_audio_output_json() -> None:
    # Line "  aSig  moogladder aMix, kCut, 0.6": the cursor right after "aSig  ".
    example = ROOT / "examples" / "clean-synth.csd"
    line, col = line_col(example, "aSig  moogladder", len("aSig  "))
    proc = run_cli("complete", str(example), line, col, "--json")
    assert proc.returncode == 0, proc.stderr
    items = json.loads(proc.stdout)["items"]
    names = [i["label"] for i in items]
    assert {"vco2", "moogladder", "poscil"} <= set(names)
    from csound_assist.knowledge import load_knowledge_base

    kb = load_knowledge_base()
    for name in names:
        op = kb.get(name)
        if op is not None:  # no k-rate-only opcode: each can produce an a-rate first output
            assert any(s.output_tokens() and "a" in s.output_rates() for s in op.signatures), name


def test_hover_json_and_text() -> None:
    line, col = line_col(SAMPLE, "moogladder", 3)
    proc = run_cli("hover", str(SAMPLE), line, col, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "Moog ladder lowpass filter" in data["contents"]["value"]
    assert data["range"]["start"]["line"] == int(line) - 1
    proc = run_cli("hover", str(SAMPLE), line, col)
    assert "Moog ladder lowpass filter" in proc.stdout


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("hover", str(tmp_path / "missing.csd"), "1", "1")
    assert proc.returncode != 0 and "not a readable file" in proc.stderr
    proc = run_cli("complete", str(SAMPLE), "0", "1")
    assert proc.returncode != 0 and "1-based" in proc.stderr
    proc = run_cli("hover", str(SAMPLE), "9999", "1")
    assert proc.returncode != 0 and "lines" in proc.stderr
