"""Rendering from the editor and the chat panel (engine: `audio.render`, the sandboxed render).

request `csound/render` {uri?, text?, seconds?, out?, outDir?, images?} → `RenderResult.to_dict()`
plus `waveform` / `spectrogram` (PNG paths, or `imageError`):
- `uri`: a saved file, rendered to `out` (default: the WAV next to it);
- `text`: a CSD from the chat panel, rendered into `outDir/<hash>/` (a folder the client serves
  to its webview), with a short cap (CHAT_SECONDS by default, CHAT_MAX_SECONDS at most).
The render runs in a worker thread; csound itself is a child process in its own process group.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import shutil
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from csound_assist.audio import MAX_SECONDS, render
from csound_assist.lsp.server import CsoundLanguageServer
from csound_assist.lsp.wire import plain

RENDER = "csound/render"
CHAT_SECONDS = 8.0
CHAT_MAX_SECONDS = 30.0
FILE_SECONDS = 30.0
KEEP_CHAT_RENDERS = 20
MAX_TEXT = 1_000_000


def render_params(raw: Any) -> dict[str, Any]:
    """Validate `csound/render` params; a clear InvalidParams error otherwise."""
    data = plain(raw)
    if not isinstance(data, dict):
        raise JsonRpcInvalidParams('csound/render expects an object like {"uri": "file:///…"}')
    uri, text = data.get("uri"), data.get("text")
    if (uri is None) == (text is None):
        raise JsonRpcInvalidParams("csound/render: give exactly one of `uri` and `text`")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        raise JsonRpcInvalidParams(f"csound/render: `text` must be a string of at most {MAX_TEXT}"
                                   " characters")
    path = None
    if uri is not None:
        fs = to_fs_path(uri) if isinstance(uri, str) else None
        if not fs or not Path(fs).is_file():
            raise JsonRpcInvalidParams(f"csound/render: {uri!r} is not a saved file")
        path = Path(fs)
    limit = MAX_SECONDS if path is not None else CHAT_MAX_SECONDS
    seconds = data.get("seconds", FILE_SECONDS if path is not None else CHAT_SECONDS)
    if (isinstance(seconds, bool) or not isinstance(seconds, int | float)
            or not math.isfinite(seconds) or not 0 < seconds <= limit):
        raise JsonRpcInvalidParams(f"csound/render: `seconds` must be a number in (0, {limit:g}]")
    out_dir = data.get("outDir")
    if text is not None and (not isinstance(out_dir, str) or not Path(out_dir).is_absolute()):
        raise JsonRpcInvalidParams("csound/render: `text` needs `outDir`, an absolute folder")
    out = data.get("out")
    if out is not None and (not isinstance(out, str) or not Path(out).is_absolute()
                            or not out.lower().endswith(".wav")):
        raise JsonRpcInvalidParams("csound/render: `out` must be an absolute path ending in .wav")
    return {"path": path, "text": text, "seconds": float(seconds), "out_dir": out_dir,
            "out": out, "images": bool(data.get("images", text is not None))}


def _prune(root: Path, keep: int) -> None:
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in folders[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def render_request(p: dict[str, Any], executable: str) -> dict[str, Any]:
    """The blocking half: render, then the images (for the chat panel)."""
    if p["path"] is not None:
        path: Path = p["path"]
        out = Path(p["out"]) if p["out"] else path.with_suffix(".wav")
        result = render(path, p["seconds"], out, executable=executable)
    else:
        root = Path(p["out_dir"])
        digest = hashlib.sha256(f"{p['seconds']}\n{p['text']}".encode()).hexdigest()[:16]
        folder = root / digest
        folder.mkdir(parents=True, exist_ok=True)
        result = render(p["text"], p["seconds"], folder / "render.wav", executable=executable)
        _prune(root, KEEP_CHAT_RENDERS)
    answer = result.to_dict()
    if result.ok and result.wav is not None and p["images"]:
        from csound_assist.audio.images import ImageError, images

        try:
            wave_png, spec_png = images(result.wav, result.wav.parent, result.wav.stem)
            answer["waveform"], answer["spectrogram"] = str(wave_png), str(spec_png)
        except (ImageError, ValueError, OSError) as exc:
            answer["imageError"] = str(exc)
    return answer


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(RENDER)
    @ls.guard("render", None)
    async def on_render(params: Any) -> dict[str, Any]:
        p = render_params(params)
        return await asyncio.to_thread(render_request, p, ls.config.csound.executable)
