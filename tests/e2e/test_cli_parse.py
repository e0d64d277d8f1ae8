"""`csound-assist parse FILE [--errors]` through the real CLI process."""

from __future__ import annotations

import gzip
from pathlib import Path

from tests.helpers import run_cli


def test_prints_the_tree(tmp_path: Path) -> None:
    orc = tmp_path / "a.orc"
    orc.write_text("instr 1\n  a1 oscili 0.5, 440\n  out a1\nendin\n")
    proc = run_cli("parse", str(orc))
    assert proc.returncode == 0, proc.stderr
    assert "instrument_definition [1:1-" in proc.stdout
    assert "opcode: opcode_name [2:6-2:12] 'oscili'" in proc.stdout


def test_errors_lists_positions_and_exits_1(tmp_path: Path) -> None:
    orc = tmp_path / "bad.orc"
    orc.write_text("instr 1\n  a1 oscili 0.5,, 440\n  out a1\ninstr 2\nendin\n")
    proc = run_cli("parse", str(orc), "--errors")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{orc}:2:")
    assert " ERROR " in lines[0]
    assert lines[1] == f"{orc}:4:1: MISSING missing endin for the block opened at line 1"


def test_errors_on_a_clean_gzipped_file_exits_0(tmp_path: Path) -> None:
    csd = tmp_path / "ok.csd.gz"
    csd.write_bytes(gzip.compress(b"<CsoundSynthesizer>\n<CsScore>\ne\n</CsScore>\n</CsoundSynthesizer>\n"))
    proc = run_cli("parse", str(csd), "--errors")
    assert (proc.returncode, proc.stdout) == (0, "")


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("parse", str(tmp_path / "nope.csd"))
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr
    assert "Traceback" not in proc.stderr
