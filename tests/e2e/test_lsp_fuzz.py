"""Bad input through a real server: manual examples and their mutants, a 1 MB line, a 5 MB file.

`make test` runs a few hundred mutants here; `make fuzz` (bench/fuzz.py) runs ≥ 10,000.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from csound_assist.config import CsoundConfig
from csound_assist.lsp.fuzz import drive, seed_files

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = 300


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "csound_assist", "serve"]),
)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.slow
async def test_mutants_never_escape_a_handler(client: LanguageClient) -> None:
    seeds = seed_files(Path(CsoundConfig().manual_dir), sorted((ROOT / "examples").glob("*.csd")),
                       limit=150)
    assert seeds, "no seed files: neither the Csound manual examples nor examples/ were found"
    report = await drive(client, seeds, MUTANTS, seed=1234)
    assert report.documents == MUTANTS + 2
    assert report.error_responses == 0, report.errors
    assert report.timeouts == 0
    assert report.server_exits == 0
    assert report.answered == report.requests
    # Exceptions caught inside features would be bugs too: the run must log none.
    assert report.failures_logged == {}, report.failures_logged
