"""The packaged extension in a real VS Code (code-server + Chromium): extension/test/e2e/run.mjs.

Builds build/csound-assist-<version>.vsix first when it is missing or older than the extension
sources. Screenshots land in build/e2e-shots/. Needs node and the npm dependencies (`npm ci`);
tools/vscode-e2e/setup installs code-server, Chromium and playwright-core on first use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("VSCODE_E2E_TOOLS") or ROOT / "tools" / "vscode-e2e")

pytestmark = pytest.mark.slow


def _vsix() -> Path:
    pkg = json.loads((ROOT / "package.json").read_text())
    return ROOT / "build" / f"{pkg['name']}-{pkg['version']}.vsix"


def _stale(vsix: Path) -> bool:
    if not vsix.exists():
        return True
    built = vsix.stat().st_mtime
    # The .vsix bundles the client, the grammars and the server + grammar sources (for installs).
    sources = [
        ROOT / "package.json",
        *(ROOT / "extension").rglob("*"),
        *(ROOT / "grammar" / "textmate").glob("*.json"),
        *(ROOT / "grammar" / "src").glob("*.[ch]"),
        *(ROOT / "server" / "csound_assist").rglob("*.py"),
    ]
    return any(p.is_file() and "test" not in p.parts and p.stat().st_mtime > built for p in sources)


def _run_e2e(python: str, scenario: str) -> None:
    node = shutil.which("node")
    assert node, "node is not on PATH"
    assert (TOOLS / "setup").exists(), f"no vscode-e2e tools at {TOOLS} (set VSCODE_E2E_TOOLS)"
    assert (ROOT / "node_modules").is_dir(), "run `npm ci` in the repo root first"
    vsix = _vsix()
    if _stale(vsix):
        subprocess.run(["npm", "run", "--silent", "package"], cwd=ROOT, check=True)
    env = {
        **os.environ,
        "VSCODE_E2E_TOOLS": str(TOOLS),
        "CSOUND_ASSIST_PYTHON": python,
        "E2E_SCENARIO": scenario,
    }
    proc = subprocess.run(
        [node, str(ROOT / "extension" / "test" / "e2e" / "run.mjs")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(proc.stdout)
    print(proc.stderr, file=sys.stderr)
    assert proc.returncode == 0, f"real-VS-Code checks failed:\n{proc.stdout[-4000:]}"


def test_extension_in_real_vscode() -> None:
    """Language, highlighting, status, hover, completion, edits, diagnostics, fixes, Play/Stop
    (csound started and gone), Render (a WAV above -60 dBFS), an error line in the output opening
    its file at the line, Render & listen in the chat panel, the chat panel, Search Examples over
    the workspace index, and Explain streaming into the panel."""
    _run_e2e(sys.executable, "ready")


def test_extension_offers_install_without_server(tmp_path: Path) -> None:
    """No csound_assist for the interpreter: "not installed", then the one-click install (pip from
    the source bundled in the .vsix into a fresh virtualenv) brings the server up."""
    bare = tmp_path / "python"
    # -I -S: no site-packages, so csound_assist is not importable; a real Python all the same.
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    bare.chmod(0o755)
    _run_e2e(str(bare), "no-server")
