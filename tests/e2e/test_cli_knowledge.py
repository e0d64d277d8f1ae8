"""`csound-assist opcode` and `opcodes` through the real command line and the installed Csound."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli

MANUAL = Path("/usr/share/doc/csound-doc/html")
pytestmark = [
    pytest.mark.skipif(shutil.which("csound") is None, reason="Csound is not installed"),
    pytest.mark.skipif(not (MANUAL / "index.html").is_file(), reason="csound-doc is not installed"),
]


def z1_names() -> set[str]:
    """Opcode names straight from `csound -z1`, parsed here independently of the product."""
    proc = subprocess.run(["csound", "-z1"], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60, check=False)
    names = set()
    for line in re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr).splitlines():
        parts = line.split()
        if len(parts) == 3 and re.fullmatch(r"[A-Za-z_]\w*", parts[0]):
            names.add(parts[0])
    return names


def test_opcode_json_moogladder() -> None:
    proc = run_cli("opcode", "moogladder", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["name"] == "moogladder"
    assert data["summary"] == "Moog ladder lowpass filter."
    assert data["syntax"] == [
        "asig moogladder ain, kcf, kres[, istor]",
        "asig moogladder ain, acf, kres[, istor]",
        "asig moogladder ain, kcf, ares[, istor]",
        "asig moogladder ain, acf, ares[, istor]",
    ]
    assert {"kcf", "kres", "istor"} <= set(data["params"])
    assert "default value is 0" in data["params"]["istor"]
    assert data["example"].endswith("moogladder.csd")
    texts = [s["text"] for s in data["signatures"]]
    assert "asig moogladder ain, kcf, kres [, istor]" in texts
    assert {s["inputs"] for s in data["signatures"]} == {"aaao", "aako", "akao", "akko"}


def test_opcode_markdown() -> None:
    proc = run_cli("opcode", "moogladder")
    assert proc.returncode == 0, proc.stderr
    assert "Moog ladder lowpass filter." in proc.stdout
    assert "istor" in proc.stdout and "Parameters" in proc.stdout


def test_unknown_opcode_exits_2_with_suggestions() -> None:
    proc = run_cli("opcode", "moogladr")
    assert proc.returncode == 2
    assert "unknown opcode 'moogladr'" in proc.stderr and "moogladder" in proc.stderr
    proc = run_cli("opcode", "moogladr", "--json")
    assert proc.returncode == 2
    assert "moogladder" in json.loads(proc.stdout)["suggestions"]


def test_opcodes_lists_every_z1_name() -> None:
    proc = run_cli("opcodes", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["name"] for r in rows} == z1_names()
    assert sum(1 for r in rows if r["summary"]) >= 1500


def test_opcodes_table() -> None:
    proc = run_cli("opcodes", env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "moogladder" in proc.stdout and "Moog ladder lowpass filter." in proc.stdout


def test_missing_csound_names_the_install_command(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('[csound]\nexecutable = "no-such-csound"\n', "utf-8")
    proc = run_cli("opcode", "moogladder", env={"CSOUND_ASSIST_CONFIG_DIR": str(config)})
    assert proc.returncode == 1
    assert "apt-get install csound" in proc.stderr
    assert "Traceback" not in proc.stderr
