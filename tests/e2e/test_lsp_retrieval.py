"""The example index through a real LSP client: background indexing at start with `$/progress` and
`csound/status`, `csound/search`, `csound/reindex`, re-indexing on save, and two servers (two
editor windows) sharing one index. The hashing embedder keeps it fast; the index code is the real
one (Qdrant local mode, bm25s)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

from tests.conftest import EXAMPLES

CONFIG = '[rag]\nembedding_model = "hash"\ninclude_manual = false\nindex_on_start = true\n'
NEW_CSD = """<CsoundSynthesizer>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1
instr Noise
  aN fractalnoise 0.2, 1
  outs aN, aN
endin
</CsInstruments>
<CsScore>
i "Noise" 0 1
</CsScore>
</CsoundSynthesizer>
"""


def field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def make_workspace(base: Path) -> Path:
    ws = base / "ws"
    ws.mkdir(parents=True)
    (ws / ".csound-assist.toml").write_text(CONFIG, "utf-8")
    for name in ("clean-synth.csd", "fm-bell.csd"):
        shutil.copy(EXAMPLES / name, ws / name)
    return ws


async def start(ws: Path, cache: Path) -> LanguageClient:
    client = make_test_lsp_client()
    statuses: list[Any] = []

    @client.feature("csound/status")
    def on_status(params: Any) -> None:
        statuses.append(params)

    client.statuses = statuses  # type: ignore[attr-defined]
    env = {**os.environ, "CSOUND_ASSIST_CACHE_DIR": str(cache)}
    await client.start_io(sys.executable, "-m", "csound_assist", "serve", env=env)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=ws.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=ws.as_uri(), name="ws")],
        )
    )
    return client


def index_state(client: LanguageClient) -> Any:
    statuses = client.statuses  # type: ignore[attr-defined]
    return field(statuses[-1], "index") if statuses else None


async def wait_index(client: LanguageClient, state: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        index = index_state(client)
        if index is not None and field(index, "state") == state:
            return index
        if time.monotonic() > deadline:
            raise TimeoutError(f"index not {state} after {timeout} s: {index}")
        await asyncio.sleep(0.05)


async def search(client: LanguageClient, params: dict[str, Any]) -> list[Any]:
    return await client.protocol.send_request_async("csound/search", params)


def files(results: list[Any]) -> list[str]:
    return [Path(field(r, "file")).name for r in results]


@pytest.fixture
async def server(tmp_path: Path):
    ws = make_workspace(tmp_path)
    client = await start(ws, tmp_path / "cache")
    client.ws = ws  # type: ignore[attr-defined]
    yield client
    await client.shutdown_session()
    await client.stop()


async def test_indexes_the_workspace_in_the_background(server: LanguageClient) -> None:
    index = await wait_index(server, "ready")
    assert field(index, "files") == 2 and field(index, "chunks") > 2
    states = [field(field(s, "index"), "state") for s in server.statuses  # type: ignore[attr-defined]
              if field(s, "index") is not None]
    assert "building" in states and states.index("building") < len(states) - 1
    # `$/progress`: the index build reported begin … end under its own token.
    tokens = [t for t in server.progress_reports if str(t).startswith("csound-assist-index")]
    assert tokens
    kinds = [field(r, "kind") for r in server.progress_reports[tokens[0]]]
    assert kinds[0] == "begin" and kinds[-1] == "end"

    results = await search(server, {"query": "moogladder filter", "k": 3})
    assert results and len(results) <= 3
    assert files(results)[0] == "clean-synth.csd"
    first = results[0]
    assert "moogladder" in field(first, "text") and field(first, "start_line") >= 1
    assert await search(server, {"query": "   "}) == []


async def test_bad_search_params_get_clear_errors(server: LanguageClient) -> None:
    for params, words in [
        ({"k": 3}, "`query` must be a string"),
        ({"query": "x", "k": 0}, "`k` must be an integer"),
        ({"query": "x", "mode": "psychic"}, "`mode` must be one of"),
    ]:
        with pytest.raises(JsonRpcException) as err:
            await search(server, params)
        assert words in str(err.value)
    # The server is fine afterwards and counted no failure.
    stats = await server.workspace_execute_command_async(
        types.ExecuteCommandParams(command="csoundAssist.serverStats")
    )
    assert "search" not in field(stats, "failures")


async def test_saved_file_is_reindexed_and_reindex_reports(server: LanguageClient) -> None:
    await wait_index(server, "ready")
    assert "new.csd" not in files(await search(server, {"query": "fractalnoise", "k": 5}))
    path = server.ws / "new.csd"  # type: ignore[attr-defined]
    path.write_text(NEW_CSD, "utf-8")
    uri = path.as_uri()
    server.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="csound-csd", version=1,
                                             text=NEW_CSD)))
    server.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    deadline = time.monotonic() + 60
    while "new.csd" not in files(await search(server, {"query": "fractalnoise", "k": 5})):
        assert time.monotonic() < deadline, index_state(server)
        await asyncio.sleep(0.2)
    assert field(await wait_index(server, "ready"), "files") == 3

    report = await server.protocol.send_request_async("csound/reindex", {})
    assert field(report, "files") == 3 and field(report, "unchanged") == 3
    assert field(report, "embedded") == 0 and "up to date" in field(report, "summary")


async def test_two_servers_share_one_index_each_sees_its_own_files(tmp_path: Path) -> None:
    """Two editor windows, two projects, one index (the user's cache): both build into it and
    both answer, and each window's results stay within its own workspace."""
    ws = make_workspace(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / ".csound-assist.toml").write_text(CONFIG, "utf-8")
    shutil.copy(EXAMPLES / "fm-bell.csd", other / "bell.csd")
    cache = tmp_path / "cache"
    first, second = await asyncio.gather(start(ws, cache), start(other, cache))
    try:
        await wait_index(first, "ready")
        await wait_index(second, "ready")
        assert files(await search(first, {"query": "moogladder", "k": 1})) == ["clean-synth.csd"]
        mine = await search(second, {"query": "moogladder foscili", "k": 5})
        assert mine and {Path(field(r, "file")).parent for r in mine} == {other.resolve()}
        theirs = await search(first, {"query": "moogladder foscili", "k": 5})
        assert "bell.csd" not in files(theirs)
        # The first window adds the other project as a workspace folder: now it sees both.
        first.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=other.as_uri(), name="other")], removed=[])))
        deadline = time.monotonic() + 60
        while "bell.csd" not in files(await search(first, {"query": "foscili", "k": 5})):
            assert time.monotonic() < deadline, index_state(first)
            await asyncio.sleep(0.2)
    finally:
        for client in (first, second):
            await client.shutdown_session()
            await client.stop()
