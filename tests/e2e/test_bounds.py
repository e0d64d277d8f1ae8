"""Bounded inputs end to end: `#include` of /dev/zero, a real FIFO and a huge file through the CLI
(a real process, real csound) and through a real language server, and hostile documents
(includes, macros, <CsOptions>, <CsFile*>) through the server."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from csound_assist.config import CsoundConfig
from csound_assist.lsp.fuzz import drive_hostile, seed_files
from tests.helpers import csd, run_cli

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
ROOT = Path(__file__).resolve().parents[2]
ORC = """\
{include}
instr 1
  aSig vco2 0.2, p4
  outs aSig, aSig
endin"""


def _doc(include: str) -> str:
    return csd(ORC.format(include=include), sco="i 1 0 1 440")


def _hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    os.mkfifo(folder / "pipe.inc")
    with (folder / "huge.inc").open("wb") as fh:
        fh.truncate(50_000_000)  # sparse: over the 2 MB default, no disk used
    return folder


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ('#include "/dev/zero"', "/dev/zero is a device, not a file"),
        ('#include "pipe.inc"', "pipe.inc is a FIFO, not a file"),
        ("#include |huge.inc|", "huge.inc is 50 MB, over the 2.0 MB limit"),
    ],
)
def test_check_reports_an_unreadable_include_on_its_line_at_once(
    tmp_path: Path, include: str, message: str
) -> None:
    folder = _hostile_folder(tmp_path)
    (folder / "x.csd").write_text(_doc(include))
    start = time.monotonic()
    proc = run_cli("check", "--json", "x.csd", cwd=folder, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    diags = json.loads(proc.stdout)
    [refused] = [d for d in diags if d["code"] == "unreadable-include"]
    assert refused["message"] == message
    line = _doc(include).split("\n").index(include)
    assert refused["range"] == {
        "start": {"line": line, "character": 0},
        "end": {"line": line, "character": len(include)},
    }
    # The rest of the file was compiled without the include: no other error.
    assert [d for d in diags if d["severity"] == 1 and d is not refused] == []
    # A whole CLI process (Python start-up included); unbounded it read /dev/zero for minutes.
    assert elapsed < 10, elapsed


def test_check_of_a_fifo_or_device_itself_is_a_clear_error(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    for target, words in (("pipe.inc", "is a FIFO, not a file"), ("/dev/zero", "is a device")):
        proc = run_cli("check", target, cwd=folder, timeout=60)
        assert proc.returncode == 2
        # typer draws the message in a box: drop its frame before reading the words.
        assert words in " ".join(re.sub(r"[│╭╮╰╯─]", " ", proc.stderr).split()), proc.stderr


def test_a_nested_fifo_is_reported_on_the_documents_include(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    (folder / "lib.inc").write_text('giX = 1\n#include "pipe.inc"\n')
    text = _doc('#include "lib.inc"')
    (folder / "x.csd").write_text(text)
    proc = run_cli("check", "x.csd", cwd=folder, timeout=60)
    line = text.split("\n").index('#include "lib.inc"') + 1
    assert (f"x.csd:{line}:1: error [unreadable-include] pipe.inc (included by lib.inc) is a FIFO, "
            "not a file") in proc.stdout, proc.stdout + proc.stderr


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "csound_assist", "serve"]),
)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


async def _published(client: LanguageClient, uri: str, timeout: float) -> list[types.Diagnostic]:
    deadline = time.monotonic() + timeout
    while uri not in client.diagnostics:
        assert time.monotonic() < deadline, f"no diagnostics for {uri} within {timeout} s"
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def test_the_server_reports_unreadable_includes_and_keeps_answering(
    client: LanguageClient, tmp_path: Path
) -> None:
    folder = _hostile_folder(tmp_path)
    text = _doc('#include "/dev/zero"\n#include "pipe.inc"\n#include "huge.inc"')
    uri = (folder / "doc.csd").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="csound-csd", version=1,
                                             text=text)))
    diags = await _published(client, uri, 60)
    refused = sorted((d.range.start.line, d.message) for d in diags
                     if d.code == "unreadable-include")
    first = text.split("\n").index('#include "/dev/zero"')
    assert refused == [
        (first, "/dev/zero is a device, not a file"),
        (first + 1, "pipe.inc is a FIFO, not a file"),
        (first + 2, "huge.inc is 50 MB, over the 2.0 MB limit"),
    ]
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=first + 4, character=9)))  # vco2
    assert hover is not None and "vco2" in hover.contents.value


@pytest.mark.slow
async def test_hostile_documents_get_diagnostics_and_leave_nothing_behind(
    client: LanguageClient, tmp_path: Path
) -> None:
    seeds = seed_files(Path(CsoundConfig().manual_dir), sorted((ROOT / "examples").glob("*.csd")),
                       limit=40)
    assert seeds
    report = await drive_hostile(client, seeds, 40, tmp_path / "hostile", seed=15)
    assert report.timeouts == 0, report.errors
    assert report.error_responses == 0, report.errors
    assert report.answered == report.requests
    assert report.failures_logged == {}, report.failures_logged
    # Nothing a hostile file asked for was written or run.
    assert not Path("/tmp/csound-assist-fuzz-never-written").exists()
    assert not Path("/tmp/csound-assist-fuzz-never-run").exists()
    assert sorted(p.name for p in (tmp_path / "hostile").iterdir()) == ["huge.inc", "pipe.inc"]
