"""Inline suggestions are compiled in place before they are shown, through a real language server
whose model is a scripted Ollama (a real local HTTP server speaking Ollama's API): a suggestion
that adds a compiler error is not shown, the same request answered with one that compiles is."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_httpserver import HTTPServer
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from werkzeug import Request, Response

from csound_assist.ai.context import cursor_context
from csound_assist.ai.postfilter import finalize
from csound_assist.diagnostics.opcodes import default_table

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
LAUNCH = (
    "from csound_assist.lsp.server import FEATURES, create_server;"
    "create_server(list(dict.fromkeys([*FEATURES, 'inline_completion']))).start_io()"
)
CSD = """<CsoundSynthesizer>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

instr 1
  kEnv linseg 0, 0.1, 1, p3 - 0.1, 0
  asig @
  outs asig, asig
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>
""".replace("@", "")  # the cursor's line ends with a space (a trailing one in the source)
LINE, COL = 9, len("  asig ")
GOOD = "oscili 0.3 * kEnv, 440"
BAD = 'oscili "loud", 440'  # a real opcode (the post-filter keeps it), wrong argument types


class ScriptedOllama:
    """Ollama's endpoints the server uses; /api/generate streams `self.answer`."""

    def __init__(self, server: HTTPServer) -> None:
        self.answer = GOOD
        self.generated = 0
        show = {
            "modelfile": "FROM /models/blobs/sha256-abc\n",
            "parameters": 'stop "<|endoftext|>"',
            "template": "{{ .Prompt }}",
            "details": {"parent_model": "", "format": "gguf", "family": "qwen2",
                        "families": ["qwen2"], "parameter_size": "7.6B",
                        "quantization_level": "Q4_K_M"},
            "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
            "capabilities": ["completion", "insert"],
            "modified_at": "2025-01-05T10:00:00Z",
        }
        server.expect_request("/api/ps").respond_with_json({"models": []})
        server.expect_request("/api/show").respond_with_json(show)
        server.expect_request("/api/chat").respond_with_json(
            {"model": "m", "created_at": "2024-01-01T00:00:00Z", "done": True,
             "done_reason": "load", "message": {"role": "assistant", "content": ""}})
        server.expect_request("/api/generate").respond_with_handler(self.generate)

    def generate(self, request: Request) -> Response:
        self.generated += 1
        parts = [{"model": "m", "created_at": "2024-01-01T00:00:00Z", "response": self.answer,
                  "done": False},
                 {"model": "m", "created_at": "2024-01-01T00:00:00Z", "response": "",
                  "done": True, "done_reason": "stop"}]
        return Response("".join(json.dumps(p) + "\n" for p in parts),
                        content_type="application/x-ndjson")


@pytest.fixture
def ollama(httpserver: HTTPServer) -> ScriptedOllama:
    return ScriptedOllama(httpserver)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", LAUNCH]))
async def client(lsp_client: LanguageClient, tmp_path: Path, ollama: ScriptedOllama,
                 httpserver: HTTPServer):
    (tmp_path / ".csound-assist.toml").write_text(
        f'[model]\nbackend = "ollama"\nhost = "{httpserver.url_for("/").rstrip("/")}"\n'
        "[rag]\nindex_on_start = false\n"
    )
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")]))
    lsp_client.uri = (tmp_path / "tone.csd").as_uri()  # type: ignore[attr-defined]
    lsp_client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=lsp_client.uri, language_id="csound",  # type: ignore[attr-defined]
                                             version=1, text=CSD)))
    yield
    await lsp_client.shutdown_session()


async def _ask(client: LanguageClient, line: int, col: int) -> str | None:
    result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=client.uri),  # type: ignore[attr-defined]
        position=types.Position(line=line, character=col),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    if result is None:
        return None
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    return str(items[0].insert_text) if items else None


def test_the_post_filter_alone_would_show_the_bad_suggestion() -> None:
    offset = sum(len(line) + 1 for line in CSD.split("\n")[:LINE]) + COL
    ctx = cursor_context(CSD, offset)
    assert finalize(BAD, ctx, default_table()) == BAD


async def test_a_suggestion_that_adds_a_compiler_error_is_not_shown(
    client: LanguageClient, ollama: ScriptedOllama
) -> None:
    # The model service comes up in the background: ask (a good answer) until it serves.
    deadline = time.monotonic() + 60
    while (shown := await _ask(client, LINE, COL)) is None:
        assert time.monotonic() < deadline, "the scripted model never served"
        await asyncio.sleep(0.2)
    assert shown == GOOD
    # One more space typed (no cache entry for that prefix), answered with the bad suggestion.
    ollama.answer = BAD
    before = ollama.generated
    text_line = LINE
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(
            uri=client.uri, version=2),  # type: ignore[attr-defined]
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=text_line, character=COL),
                              end=types.Position(line=text_line, character=COL)),
            text=" ")]))
    dropped = await _ask(client, LINE, COL + 1)
    assert ollama.generated > before  # the model did answer
    assert dropped is None
    # The same request answered with a suggestion that compiles is shown.
    ollama.answer = GOOD
    assert await _ask(client, LINE, COL + 1) == GOOD
