"""tools/system-deps: what set-up asks apt for, and whether apt could give it on a new machine.

The simulation is the check that would have caught a set-up that asked apt for Debian's npm on an
image whose Node.js came from another vendor: it resolves, for real, the exact request a machine
without the Csound packages would make.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "system-deps"

pytestmark = pytest.mark.skipif(shutil.which("apt-get") is None, reason="not a Debian system")


def _run(*args: str, path_prefix: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}{os.pathsep}{env['PATH']}"
    return subprocess.run([str(TOOL), *args], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def _fake(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text(f"#!/bin/sh\n{script}\n")
    (bin_dir / name).chmod(0o755)


@pytest.mark.parametrize("group", ["run", "e2e"])
def test_apt_could_install_what_a_new_machine_needs(group: str) -> None:
    proc = _run("simulate", group)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "apt would install" in proc.stdout


def test_simulation_requests_every_csound_package() -> None:
    proc = _run("simulate", "run")
    requested = proc.stdout.split("apt would install ", 1)[1]
    for pkg in ("csound", "csound-doc", "libcsound64-dev"):
        assert pkg in requested.split()


def test_a_working_node_and_npm_are_never_asked_of_apt(tmp_path: Path) -> None:
    _fake(tmp_path, "node", 'case "$*" in *-e*) exit 0;; esac; echo v20.1.0')
    _fake(tmp_path, "npm", "echo 10.0.0")
    for cmd in ("plan", "simulate"):
        out = _run(cmd, "run", path_prefix=tmp_path)
        assert "nodejs" not in out.stdout.split() and "npm" not in out.stdout.split(), out.stdout


def test_an_old_node_asks_for_debians_nodejs_and_npm(tmp_path: Path) -> None:
    _fake(tmp_path, "node", 'case "$*" in *-e*) exit 1;; esac; echo v16.0.0')
    _fake(tmp_path, "npm", "echo 8.0.0")
    out = _run("plan", "run", path_prefix=tmp_path)
    assert out.returncode == 0, out.stderr
    assert {"nodejs", "npm"} <= set(out.stdout.split())


def test_node_without_npm_is_a_clear_error_not_a_conflicting_install(tmp_path: Path) -> None:
    _fake(tmp_path, "node", 'case "$*" in *-e*) exit 0;; esac; echo v20.1.0')
    _fake(tmp_path, "npm", "exit 127")
    out = _run("install", "run", path_prefix=tmp_path)
    assert out.returncode == 1
    assert "without npm" in out.stderr
    assert "installing" not in out.stdout


def test_present_packages_are_not_requested_again() -> None:
    if shutil.which("csound") is None:
        pytest.skip("csound is not installed here")
    planned = _run("plan", "run").stdout.split()
    assert "csound" not in planned


def test_bad_usage_says_what_is_known() -> None:
    out = _run("plan", "desktop")
    assert out.returncode == 2 and "unknown group" in out.stderr
