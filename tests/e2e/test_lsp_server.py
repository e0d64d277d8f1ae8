"""The language server end to end through pytest-lsp, as VS Code and as Neovim."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "lsp-sample.csd"
CLIENTS = ["visual-studio-code", "neovim"]


@pytest_lsp.fixture(
    params=CLIENTS,
    config=ClientServerConfig(server_command=[sys.executable, "-m", "csound_assist", "serve"]),
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):
    statuses: list[Any] = []
    ready = asyncio.Event()

    @lsp_client.feature("csound/status")
    def on_status(params: Any) -> None:
        statuses.append(params)
        if getattr(params, "server", None) == "ready":
            ready.set()

    lsp_client.statuses = statuses  # type: ignore[attr-defined]
    lsp_client.ready = ready  # type: ignore[attr-defined]
    result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(request.param),
        root_uri=DATA.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=DATA.as_uri(), name="data")],
    ))
    # Neovim offers UTF-8 first and gets it; VS Code gets the LSP default, UTF-16.
    lsp_client.encoding = str(result.capabilities.position_encoding or "utf-16")  # type: ignore
    yield
    await lsp_client.shutdown_session()


async def wait_ready(client: LanguageClient, timeout: float = 120) -> None:
    """The knowledge base loads in the background; wait for the `csound/status` that says so."""
    await asyncio.wait_for(client.ready.wait(), timeout)  # type: ignore[attr-defined]


def open_doc(client: LanguageClient, text: str, name: str = "test.csd") -> str:
    uri = (DATA / name).as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="csound-csd", version=1,
                                             text=text)))
    return uri


def units(text: str, encoding: str = "utf-16") -> int:
    """Length of `text` in the code units of a position encoding."""
    if "8" in encoding:
        return len(text.encode("utf-8"))
    if "32" in encoding:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def pos_of(text: str, needle: str, offset: int = 0, encoding: str = "utf-16") -> types.Position:
    """The LSP position of `needle` in `text`, plus `offset` characters (ASCII after the needle)."""
    index = text.index(needle)
    line = text.count("\n", 0, index)
    col = index - (text.rfind("\n", 0, index) + 1)
    prefix = text.splitlines()[line][:col]
    return types.Position(line=line, character=units(prefix, encoding) + offset)


async def test_hover_moogladder(client: LanguageClient) -> None:
    await wait_ready(client)
    text = SAMPLE.read_text()
    uri = open_doc(client, text)
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=pos_of(text, "moogladder", 3)))
    assert result is not None
    assert "Moog ladder lowpass filter" in result.contents.value


async def test_completion_after_audio_output(client: LanguageClient) -> None:
    await wait_ready(client)
    text = SAMPLE.read_text().replace("  aSig  = aSig * kEnv", "  aOut ")
    uri = open_doc(client, text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=pos_of(text, "aOut ", 5)))
    labels = {item.label for item in result.items}
    assert {"vco2", "moogladder", "poscil"} <= labels
    assert "madsr" in labels  # madsr has an a-rate form
    assert "metro" not in labels and "printk" not in labels  # k-rate only / no output


async def test_utf16_positions_after_emoji_and_cjk(client: LanguageClient) -> None:
    await wait_ready(client)
    line = '  aZ = moogladder(aSaw, strlen("🎹音"), 0) + moogladder(aSaw, 1, 0)'
    text = SAMPLE.read_text().replace("  outs aSig, aSig\nendin", f"{line}\n  outs aSig, aSig\nendin")
    uri = open_doc(client, text)
    second = line.rindex("moogladder")
    start = units(line[:second], client.encoding)  # type: ignore[attr-defined]
    assert start > second  # the emoji (and in UTF-8 the CJK character) take several units
    row = text.splitlines().index(line)
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=row, character=start + 9)))
    assert result is not None and "Moog ladder" in result.contents.value
    assert (result.range.start.character, result.range.end.character) == (start, start + 10)


async def test_diagnostics_and_fix_all(client: LanguageClient) -> None:
    await wait_ready(client)
    text = (DATA.parent.parent / "examples" / "mistakes.csd").read_text()
    uri = open_doc(client, text, "mistakes.csd")
    await wait_diagnostics(client, uri)
    diags = client.diagnostics[uri]
    codes = {d.code for d in diags}
    assert "unknown-opcode" in codes or "syntax-error" in codes, codes
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=0, character=0),
                          end=types.Position(line=len(text.splitlines()), character=0)),
        context=types.CodeActionContext(diagnostics=list(diags))))
    kinds = {str(getattr(a.kind, "value", a.kind)) for a in actions}
    assert "quickfix" in kinds
    assert any(k.startswith("source.fixAll") for k in kinds)
    misspelt = next(a for a in actions if "moogladder" in a.title)
    edit = misspelt.edit.changes[uri][0]
    assert edit.new_text == "moogladder"


async def wait_diagnostics(client: LanguageClient, uri: str, timeout: float = 30) -> None:
    """Diagnostics are published after a debounce and a compiler run: wait for them."""
    async def published() -> None:
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    await asyncio.wait_for(published(), timeout)
