"""`csound/render` through a real LSP client and the real csound: a saved file next to itself, a
chat code block into the client's folder with its waveform and spectrogram, refusals and bad
params."""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

from tests.helpers import csd

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
TONE = csd("instr 1\n  a1 poscil 0.3, 330\n  outs a1, a1\nendin", sco="i 1 0 60")


async def start(ws: Path, tmp: Path) -> LanguageClient:
    client = make_test_lsp_client()
    env = {**os.environ, "CSOUND_ASSIST_CACHE_DIR": str(tmp / "cache")}
    await client.start_io(sys.executable, "-m", "csound_assist", "serve", env=env)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=ws.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=ws.as_uri(), name="ws")],
    ))
    return client


def py(obj: Any) -> Any:
    """pygls answers with namedtuples: back to dicts and lists."""
    if hasattr(obj, "_asdict"):
        return {k: py(v) for k, v in obj._asdict().items()}
    if isinstance(obj, list | tuple):
        return [py(v) for v in obj]
    return obj


async def request(client: LanguageClient, params: dict[str, Any]) -> Any:
    return py(await client.protocol.send_request_async("csound/render", params))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_render_file_and_chat_text(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    song = ws / "song.csd"
    song.write_text(TONE)
    client = await start(ws, tmp_path)
    try:
        done = await request(client, {"uri": song.as_uri(), "seconds": 2})
        assert done["ok"] and done["audible"] and done["capped"]
        assert done["wav"] == str(ws / "song.wav") and (ws / "song.wav").is_file()
        assert done["channels"][0]["rms_dbfs"] == pytest.approx(-13.5, abs=0.2)
        assert "waveform" not in done  # images only when asked (the chat panel)

        out_dir = tmp_path / "renders"
        chat = await request(client, {"text": TONE, "outDir": str(out_dir)})
        assert chat["ok"] and chat["seconds"] == pytest.approx(8, abs=0.01)  # the short chat cap
        assert Path(chat["wav"]).parent.parent == out_dir
        assert png_size(Path(chat["waveform"])) == (640, 120)
        assert png_size(Path(chat["spectrogram"])) == (640, 200)

        refused = csd('instr 1\n  ires system_i 1, "ls"\nendin')
        bad = await request(client, {"text": refused, "outDir": str(out_dir)})
        assert not bad["ok"] and "system_i" in bad["refused"]
        with pytest.raises(JsonRpcException, match="exactly one of"):
            await request(client, {})
        with pytest.raises(JsonRpcException, match="seconds"):
            await request(client, {"text": TONE, "outDir": str(out_dir), "seconds": 600})
    finally:
        await client.shutdown_session()
