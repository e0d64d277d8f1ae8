from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli


def test_version() -> None:
    proc = run_cli("--version", cwd=Path.cwd())
    assert proc.returncode == 0
    assert proc.stdout.startswith("csound-assist 0.")


def test_config_shows_sources_and_problems(tmp_path: Path) -> None:
    user = tmp_path / "cfg"
    user.mkdir()
    (user / "config.toml").write_text('[model]\nname = "mine"\n[parameters]\ntop_p = 3\n')
    (tmp_path / ".csound-assist.toml").write_text("[rag]\nnum_results = 3\n")
    proc = run_cli("config", "--json", cwd=tmp_path, env={"CSOUND_ASSIST_CONFIG_DIR": str(user)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["config"]["model"]["name"] == "mine"
    assert data["sources"]["model.name"] == str(user / "config.toml")
    assert data["config"]["rag"]["num_results"] == 3
    assert data["config"]["parameters"]["top_p"] == 0.8
    assert any("parameters.top_p" in p for p in data["problems"])
    table = run_cli("config", cwd=tmp_path, env={"CSOUND_ASSIST_CONFIG_DIR": str(user)})
    assert "model.name" in table.stdout
    assert "parameters.top_p" in table.stdout
