"""The language server end to end through pytest-lsp, as VS Code and as Neovim."""

from __future__ import annotations

import asyncio
import sys
import time
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

    @lsp_client.feature("csound/status")
    def on_status(params: Any) -> None:
        statuses.append(params)

    lsp_client.statuses = statuses  # type: ignore[attr-defined]
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
    """The knowledge base loads in the background: poll for the `csound/status` that says so."""
    deadline = time.monotonic() + timeout
    while not any(getattr(s, "server", None) == "ready" for s in client.statuses):  # type: ignore
        if time.monotonic() > deadline:
            raise TimeoutError(f"server not ready after {timeout} s: {client.statuses}")  # type: ignore
        await asyncio.sleep(0.05)


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
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=pos_of(text, "moogladder", 3, client.encoding)))  # type: ignore[attr-defined]
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
    end = "  outs aSig, aSig\nendin"
    text = SAMPLE.read_text().replace(end, f"{line}\n{end}")
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


async def test_navigation_features(client: LanguageClient) -> None:
    await wait_ready(client)
    text = SAMPLE.read_text()
    uri = open_doc(client, text)
    ident = types.TextDocumentIdentifier(uri=uri)
    enc = client.encoding  # type: ignore[attr-defined]
    sh = await client.text_document_signature_help_async(types.SignatureHelpParams(
        text_document=ident, position=pos_of(text, "moogladder aSaw, ", 17, enc)))
    assert sh is not None and sh.active_parameter == 1
    syms = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=ident))
    assert syms[0].name == "CsoundSynthesizer"
    folds = await client.text_document_folding_range_async(
        types.FoldingRangeParams(text_document=ident))
    assert len(folds) >= 6
    defs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=ident, position=pos_of(text, 'i "Pad"', 3, enc)))
    assert defs[0].range.start.line == text.splitlines().index("instr Pad")
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=ident, position=pos_of(text, "kEnv  madsr", 1, enc),
        context=types.ReferenceContext(include_declaration=True)))
    assert len(refs) == 2  # the definition and `aSig = aSig * kEnv`
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=ident, position=pos_of(text, "kEnv  madsr", 1, enc), new_name="kAmpEnv"))
    assert len(edit.changes[uri]) == 2
    ws = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="Gain"))
    assert {w.name for w in ws} == {"opcode Gain"}
    # Both the open document and the file on disk under the workspace folder:
    assert {w.location.uri.rsplit("/", 1)[-1] for w in ws} == {"test.csd", "lsp-sample.csd"}


async def test_incremental_changes_keep_features_right(client: LanguageClient) -> None:
    await wait_ready(client)
    text = SAMPLE.read_text()
    uri = open_doc(client, text)
    row = text.splitlines().index("  aSig  = aSig * kEnv")
    # Type "  aNew " on a fresh line, one character per didChange, after an emoji comment.
    typed = '  ; 🎹\n  aNew '
    line, col = row, 0
    version = 1
    for ch in typed:
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=line, character=col),
                                  end=types.Position(line=line, character=col)), text=ch)]))
        if ch == "\n":
            line, col = line + 1, 0
        else:
            col += units(ch, client.encoding)  # type: ignore[attr-defined]
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=col)))
    labels = {item.label for item in result.items}
    assert {"vco2", "moogladder"} <= labels and "metro" not in labels


async def test_progress_and_status(client: LanguageClient) -> None:
    await wait_ready(client)
    status = client.statuses[-1]  # type: ignore[attr-defined]
    assert status.server == "ready" and status.knowledge.opcodes > 1000
    assert status.csound is None or status.csound[0].isdigit()
    if client.capabilities.window and client.capabilities.window.work_done_progress:
        reports = [r for rs in client.progress_reports.values() for r in rs]
        assert any(getattr(r, "kind", "") == "begin" for r in reports)
        assert any(getattr(r, "kind", "") == "end" for r in reports)


async def test_bad_requests_get_neutral_answers(client: LanguageClient) -> None:
    await wait_ready(client)
    ident = types.TextDocumentIdentifier(uri=(DATA / "never-opened.csd").as_uri())
    far = types.Position(line=10_000, character=10_000)
    assert await client.text_document_hover_async(
        types.HoverParams(text_document=ident, position=far)) is None
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=ident, position=far))
    assert not result.items
    uri = open_doc(client, "\x00\ud83c<CsInstruments>\ninstr\n 🎹 = (((\n", "weird.csd")
    assert await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=far)) is None
