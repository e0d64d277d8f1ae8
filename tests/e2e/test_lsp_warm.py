"""The language server's warm compiler worker through a real client: kill -9 it between and during
checks; diagnostics keep coming, right, and the server stays up."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.helpers import csd, ctcsound_loads

pytestmark = [
    pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed"),
    pytest.mark.skipif(not ctcsound_loads(), reason="ctcsound or libcsnd6 not installed"),
]


def _ppid(pid: int | str) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _workers() -> list[int]:
    """Compiler workers of the language server this test started (its child's children)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            if b"csound_assist.csound_worker" in cmd and _ppid(_ppid(entry.name)) == os.getpid():
                out.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


# A worker killed again soon after a restart comes back after a backoff of up to 30 s, then needs
# its own start-up (Csound loading its plugins): a loaded machine needs the margin.
WORKER_BACK = 90.0


async def _poll(what, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := what()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)
    return value


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "csound_assist", "serve"]),
)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


def _version_text(n: int) -> str:
    # Each version has its error on a different line, so a stale answer would show.
    lines = [f"instr {i}\n  a{i} vco2 0.1, {i}\n  outs a{i}, a{i}\nendin" for i in range(1, n)]
    return csd("\n".join([*lines, f"instr {n}\n  aBad vcoo2 0.1, 1\nendin"]))


@pytest.mark.skip(reason=(
    "open bug: under the language server a worker killed with -9 is sometimes not replaced (no "
    "worker after 90 s; diagnostics stay right through the CLI). WarmCompiler alone restarts after "
    "every kill (tests/unit/test_diagnostics_warm.py); the server-side trigger is not found yet"))
async def test_killing_the_worker_keeps_diagnostics_right(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "song.csd").as_uri()
    published: list[types.PublishDiagnosticsParams] = []

    async def diagnostics_for(version: int) -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            published.append(params)
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)

    def error_line(diags: list[types.Diagnostic]) -> int:
        [err] = [d for d in diags if d.severity == types.DiagnosticSeverity.Error]
        return err.range.start.line

    text = _version_text(2)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="csound-csd", version=1,
                                             text=text)))
    first = await asyncio.wait_for(diagnostics_for(1), 60)
    assert error_line(first) == text.split("\n").index("  aBad vcoo2 0.1, 1")
    [pid] = await _poll(_workers, WORKER_BACK)
    seen = {pid}
    for version in range(2, 8):
        text = _version_text(version * 200)  # bigger files: the kill often lands mid-compile
        waiting = asyncio.ensure_future(diagnostics_for(version))
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        if version % 2 == 0:
            await asyncio.sleep(0.25)  # about the debounce: the check is starting
            os.kill(pid, signal.SIGKILL)
        diags = await asyncio.wait_for(waiting, 60)
        assert error_line(diags) == text.split("\n").index("  aBad vcoo2 0.1, 1"), version
        pid = (await _poll(_workers, WORKER_BACK))[0]
        seen.add(pid)
    assert len(seen) == 4  # the first worker and one after each of the three kills
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=text.split("\n").index("  a1 vco2 0.1, 1"), character=6)))
    assert hover is not None and "vco2" in hover.contents.value
