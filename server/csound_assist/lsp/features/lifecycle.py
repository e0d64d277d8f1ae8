"""Start-up and configuration.

`initialize` answers at once. On `initialized` the server asks for the editor's settings
(`workspace/configuration`, section "csoundAssist"), then loads the knowledge base off the event
loop,
reporting `$/progress` when the client supports it and `csound/status` for the status bar. Until the
knowledge base is there, features answer with what the document alone provides.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from typing import Any

from loguru import logger
from lsprotocol import types

from csound_assist.lsp.progress import Progress
from csound_assist.lsp.server import STATS_COMMAND, CsoundLanguageServer
from csound_assist.lsp.stdio import exit_soon

SECTION = "csoundAssist"


def csound_version(executable: str) -> str | None:
    """`csound --version` → "6.18.0", or None when Csound is not installed."""
    exe = shutil.which(executable)
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=5,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    import re

    m = re.search(r"Csound version (\S+)", proc.stdout + proc.stderr)
    return m.group(1).rstrip(",") if m else None


async def fetch_settings(ls: CsoundLanguageServer) -> dict[str, Any] | None:
    caps = ls.client_capabilities
    if not (caps and caps.workspace and caps.workspace.configuration):
        return None
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])),
            timeout=5,
        )
    except Exception as exc:
        logger.warning("workspace/configuration failed: {}", exc)
        return None
    settings = result[0] if result else None
    return settings if isinstance(settings, dict) else None


def _warm(kb: Any) -> None:
    """Pre-build and pre-serialise the completion lists so the first completion is fast too."""
    from csound_assist.features.completion import warm
    from csound_assist.lsp.wire import unstructured

    for item in warm(kb):
        unstructured(item)


async def load_kb(ls: CsoundLanguageServer) -> None:
    progress = Progress(ls, "Csound", prefix="csound-assist-kb")
    await progress.begin("loading the opcode knowledge base")
    try:
        from csound_assist.knowledge import load_knowledge_base

        ls.kb = await asyncio.to_thread(load_knowledge_base)
        await asyncio.to_thread(_warm, ls.kb)
        count = len(ls.kb.opcodes)
        message = f"{count} opcodes"
    except Exception as exc:
        logger.exception("knowledge base unavailable")
        message = f"knowledge base unavailable: {exc}"
        ls.message(f"csound-assist: {message}; completion and hover are limited.",
                   types.MessageType.Warning)
    finally:
        ls.kb_ready.set()
        progress.end(message)
    version = await asyncio.to_thread(csound_version, ls.config.csound.executable)
    ls.update_status(server="ready", csound=version,
                     knowledge={"opcodes": len(ls.kb.opcodes) if ls.kb else 0})
    ls.emit("ready")


def register(ls: CsoundLanguageServer) -> None:
    @ls.feature(types.INITIALIZE)
    @ls.guard("initialize")
    def initialize(params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get(SECTION, options), dict):
            ls.editor_settings = options.get(SECTION, options)
        ls.reload_config()

    @ls.feature(types.INITIALIZED)
    @ls.guard("initialized")
    async def initialized(params: types.InitializedParams) -> None:
        ls.update_status(server="starting")
        settings = await fetch_settings(ls)
        for problem in ls.reload_config(settings) if settings is not None else ls.config.problems:
            ls.message(f"csound-assist settings: {problem}", types.MessageType.Warning)
        ls.spawn(load_kb(ls))

    shutdown: list[bool] = []

    @ls.feature(types.SHUTDOWN)
    @ls.guard("shutdown")
    def on_shutdown(params: None) -> None:  # noqa: ARG001
        shutdown.append(True)

    @ls.feature(types.EXIT)
    def on_exit(params: None) -> None:  # noqa: ARG001
        # Whatever is in flight (a model load, a generation, a compiler check), `exit` ends the
        # process: the orderly path first, a forced one after a grace period.
        exit_soon(0 if shutdown else 1)

    @ls.command(STATS_COMMAND)
    def server_stats(*_args: Any) -> dict[str, Any]:
        """Failures caught per feature and handler timings; used by the fuzz run and benchmark."""
        return {
            "failures": dict(ls.failures),
            "timings": {k: list(v) for k, v in ls.timings.items()},
            "documentUpdates": list(ls.documents.update_ms),
            "documents": len(ls.documents),
        }

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @ls.guard("didChangeConfiguration")
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
        if not isinstance(settings, dict):
            settings = await fetch_settings(ls)
        for problem in ls.reload_config(settings or {}):
            ls.message(f"csound-assist settings: {problem}", types.MessageType.Warning)
        ls.emit("config")
