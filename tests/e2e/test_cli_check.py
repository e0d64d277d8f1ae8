"""`csound-assist check` and `fix` end to end: real CLI process, real csound."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import csd, run_cli

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
ROOT = Path(__file__).resolve().parent.parent.parent
MISTAKES = ROOT / "examples" / "mistakes.csd"

CLEAN = csd("""\
instr 1
  aSig vco2 0.2, p4
  outs aSig, aSig
endin""", sco="i 1 0 1 440")


def test_clean_file_exits_0_with_no_output(tmp_path: Path) -> None:
    (tmp_path / "ok.csd").write_text(CLEAN)
    proc = run_cli("check", "ok.csd", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_json_lists_lsp_diagnostics_with_file_and_exits_1(tmp_path: Path) -> None:
    shutil.copy(MISTAKES, tmp_path / "m.csd")
    (tmp_path / "ok.csd").write_text(CLEAN)
    proc = run_cli("check", "m.csd", "ok.csd", "--json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    diags = json.loads(proc.stdout)
    assert {d["file"] for d in diags} == {"m.csd"}
    codes = {d["code"] for d in diags}
    assert {"missing-end", "exp-zero", "output-rate", "undefined-table", "unknown-opcode"} <= codes
    for d in diags:
        assert set(d) >= {"range", "severity", "code", "source", "message", "file"}
        assert d["severity"] in (1, 2, 3, 4) and d["source"] in ("csound", "csound-assist")
    # 0-based: `instr 1` is on line 11 of the file as editors count.
    [end] = [d for d in diags if d["code"] == "missing-end"]
    assert end["range"]["start"] == {"line": 10, "character": 0}


def test_human_output_is_file_line_col(tmp_path: Path) -> None:
    shutil.copy(MISTAKES, tmp_path / "m.csd")
    proc = run_cli("check", "m.csd", cwd=tmp_path)
    assert proc.returncode == 1
    assert "m.csd:11:1: error [missing-end] 'instr 1' has no 'endin'" in proc.stdout.splitlines()


def test_fix_prints_a_diff_and_write_makes_the_file_compile(tmp_path: Path) -> None:
    target = tmp_path / "m.csd"
    shutil.copy(MISTAKES, target)
    diff = run_cli("fix", "m.csd", cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.startswith("--- a/m.csd\n+++ b/m.csd\n")
    assert "+endin" in diff.stdout and "+  aFlt moogladder" in diff.stdout
    assert target.read_text() == MISTAKES.read_text()  # a diff only: untouched
    wrote = run_cli("fix", "m.csd", "--write", cwd=tmp_path)
    assert wrote.returncode == 0 and "fixed" in wrote.stderr
    compiled = subprocess.run(
        ["csound", "--syntax-check-only", "m.csd"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    again = run_cli("check", "m.csd", "--json", cwd=tmp_path)
    assert all(d["severity"] != 1 for d in json.loads(again.stdout))


def test_missing_csound_says_how_to_install_and_static_checks_still_run(tmp_path: Path) -> None:
    (tmp_path / ".csound-assist.toml").write_text('[csound]\nexecutable = "csound-not-installed"\n')
    shutil.copy(MISTAKES, tmp_path / "m.csd")
    proc = run_cli("check", "m.csd", cwd=tmp_path)
    assert proc.stderr.count("csound was not found") == 1
    assert "apt install csound" in proc.stderr
    assert "[missing-end]" in proc.stdout and proc.returncode == 1


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("check", "nope.csd", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.csd is not a readable file" in proc.stderr


CANARY = """<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1
iGlobal system_i 1, "touch {dir}/canary_global"
instr 1
  iRan system_i 1, "touch {dir}/canary_instr"
endin
</CsInstruments>
<CsScore{bin}>
i 1 0 0.01
</CsScore>
</CsoundSynthesizer>
"""


def test_checking_a_file_never_runs_its_code(tmp_path: Path) -> None:
    """system_i canaries in global and instrument scope, and a score generator, stay untouched."""
    work = tmp_path / "work"
    work.mkdir()
    bin_attr = f' bin="touch {tmp_path}/canary_bin"'
    (work / "evil.csd").write_text(CANARY.format(dir=tmp_path, bin=bin_attr))
    before = sorted(p.name for p in work.iterdir())
    for args in (("check", "evil.csd"), ("check", "--json", "evil.csd"), ("fix", "evil.csd")):
        run_cli(*args, cwd=work)
    assert sorted(p.name for p in tmp_path.glob("canary_*")) == []
    assert sorted(p.name for p in work.iterdir()) == before


EMBEDDED = """<CsoundSynthesizer>
<CsInstruments>
#include "emb.inc"
instr 1
endin
</CsInstruments>
<CsFileB filename="{precious}">
aGVsbG8K
</CsFileB>
<CsFileB filename="emb.inc">
Z2lYID0gMQo=
</CsFileB>
<CsFile filename="{dir}/text_file.txt">
plain text
</CsFile>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>
"""


def test_embedded_files_cannot_touch_paths_outside_the_sandbox(tmp_path: Path) -> None:
    """Csound writes `<CsFileB filename=...>` where it says (and deletes it after), even for a
    syntax check; the checked copy keeps only base names, and drops the endless `<CsFile>`."""
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "emb.csd").write_text(EMBEDDED.format(precious=precious, dir=tmp_path))
    proc = run_cli("check", "emb.csd", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the embedded include still resolves
    assert precious.read_text() == "keep me\n"
    assert not (tmp_path / "text_file.txt").exists()
    assert sorted(p.name for p in work.iterdir()) == ["emb.csd"]


def test_the_canaries_are_live(tmp_path: Path) -> None:
    """Control: the same file does run its code when Csound performs it, and a raw
    `--syntax-check-only` runs the score generator, so the test above proves something."""
    (tmp_path / "evil.csd").write_text(
        CANARY.format(dir=tmp_path, bin=f' bin="touch {tmp_path}/canary_bin"')
    )
    subprocess.run(
        ["csound", "--syntax-check-only", "evil.csd"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (tmp_path / "canary_bin").exists()
    (tmp_path / "plain.csd").write_text(CANARY.format(dir=tmp_path, bin=""))
    subprocess.run(
        ["csound", "-n", "-d", "plain.csd"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (tmp_path / "canary_global").exists() and (tmp_path / "canary_instr").exists()
