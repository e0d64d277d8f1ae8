"""Csound 7 files through the real language server (pytest-lsp): one note instead of the Csound 6
compiler's errors, and go-to-definition and hover on typed names and new-style UDO parameters."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from csound_assist.diagnostics import csound7
from csound_assist.diagnostics.opcodes import default_table

DATA = Path(__file__).resolve().parent.parent / "data" / "csound7"


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "csound_assist", "serve"]),
)
async def client(lsp_client: LanguageClient):
    statuses: list[Any] = []

    @lsp_client.feature("csound/status")
    def on_status(params: Any) -> None:
        statuses.append(params)

    lsp_client.statuses = statuses  # type: ignore[attr-defined]
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=DATA.as_uri()))
    yield
    await lsp_client.shutdown_session()


async def _ready(client: LanguageClient, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not any(getattr(s, "server", None) == "ready" for s in client.statuses):  # type: ignore
        if time.monotonic() > deadline:
            raise TimeoutError(f"server not ready after {timeout} s")
        await asyncio.sleep(0.05)


def _at(text: str, needle: str, offset: int) -> types.Position:
    for i, line in enumerate(text.split("\n")):
        if needle in line:
            return types.Position(line=i, character=line.index(needle) + offset)
    raise AssertionError(needle)


async def test_csound7_file_in_the_editor(client: LanguageClient) -> None:
    await _ready(client)
    path = DATA / "udo_new.csd"
    text = path.read_text()
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="csound-csd", version=1, text=text)))

    async def published() -> None:
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    await asyncio.wait_for(published(), 60)
    codes = [d.code for d in client.diagnostics[uri]]
    if csound7.installed_major(default_table().version) == 6:
        assert codes == ["csound7-syntax"], client.diagnostics[uri]
    else:
        assert "csound7-syntax" not in codes

    ident = types.TextDocumentIdentifier(uri=uri)
    defs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=ident, position=_at(text, "xout aIn * kAmt", len("xout aIn * k"))))
    header = _at(text, "opcode Boost(", 0).line
    assert [d.range.start.line for d in defs] == [header]
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=ident, position=_at(text, "beep:a = Sine", 1)))
    assert hover is not None and "audio-rate" in hover.contents.value
