"""The installed manual's examples parse; the few that do not are broken for Csound too."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from csound_assist import parsing

MANUAL_EXAMPLES = Path(
    os.environ.get("CSOUND_ASSIST_MANUAL_DIR", "/usr/share/doc/csound-doc/html")
) / "examples"


def _examples() -> list[Path]:
    return sorted(MANUAL_EXAMPLES.rglob("*.csd")) + sorted(MANUAL_EXAMPLES.rglob("*.csd.gz"))


def _read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


pytestmark = pytest.mark.skipif(not _examples(), reason="Csound manual examples not installed")


@pytest.mark.slow
def test_at_least_99_percent_of_manual_examples_parse_cleanly(tmp_path: Path) -> None:
    files = _examples()
    failing = [f for f in files if parsing.problems(parsing.parse(_read(f)))]
    clean = 1 - len(failing) / len(files)
    assert len(files) > 1000
    assert clean >= 0.99, f"{len(failing)} of {len(files)} fail: {[f.name for f in failing]}"

    # Each file we reject must be rejected by Csound as well (a bug in the file, not ours).
    csound = shutil.which("csound")
    if csound is None:
        return
    for path in failing:
        csd = tmp_path / path.name.removesuffix(".gz")
        csd.write_bytes(_read(path))
        proc = subprocess.run(
            [csound, "--syntax-check-only", csd.name], cwd=tmp_path, stdin=subprocess.DEVNULL,
            capture_output=True, timeout=120, check=False,
        )
        log = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
        assert "error" in log.lower() and "Syntax check completed" not in log, (
            f"{path.name}: Csound accepts it but our grammar does not"
        )


def test_gzipped_examples_are_read() -> None:
    gz = sorted(MANUAL_EXAMPLES.glob("*.csd.gz"))
    assert gz, "the manual ships gzipped examples"
    tree = parsing.parse(_read(gz[0]))
    assert tree.root_node.named_children[0].type == "csd"
