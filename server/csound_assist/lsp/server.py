"""The csound-assist language server: a pygls `LanguageServer` and a registry of feature modules.

Each module in `csound_assist.lsp.features` exposes `register(ls)`; adding a feature is one line in
`FEATURES`. Handlers are thin: they fetch the document from `ls.documents`, call a pure engine
function
from `csound_assist.features` inside `ls.guard(...)`, and return its result. A failure inside a
feature is
logged and answered with the feature's neutral result, so one bug never takes the server down.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from loguru import logger
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from csound_assist import __version__
from csound_assist.config import Config, load_config
from csound_assist.lsp.documents import DocumentStore
from csound_assist.lsp.wire import converter_factory

# Feature modules under csound_assist.lsp.features, registered in this order.
FEATURES = [
    "lifecycle",
    "documents",
    "completion",
    "hover",
    "signature",
    "symbols",
    "definition",
    "folding",
    "rename",
    "diagnostics",
    "code_actions",
    "retrieval",
    "inline_completion",
    "chat",
    "audio",
]

STATUS_METHOD = "csound/status"
STATS_COMMAND = "csoundAssist.serverStats"
F = TypeVar("F", bound=Callable[..., Any])


class CsoundLanguageServer(LanguageServer):
    """Server state: documents, configuration, the knowledge base once loaded, the status shown."""

    def __init__(self) -> None:
        super().__init__(
            "csound-assist",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            converter_factory=converter_factory,
        )
        self.config: Config = load_config()
        self.editor_settings: dict[str, Any] = {}
        self.documents = DocumentStore(self)
        self.kb: Any = None
        self.kb_ready = threading.Event()
        self.status: dict[str, Any] = {"server": "starting", "csound": None, "index": None,
                                       "model": None}
        # Per feature: exceptions caught by `guard`, and handler milliseconds (last 10,000), for the
        # fuzz run and the benchmark (`csoundAssist.serverStats`).
        self.failures: dict[str, int] = {}
        self.timings: dict[str, list[float]] = {}
        # Server events other features react to: "ready" (knowledge base loaded, settings read),
        # "config" (settings changed). See `on` / `emit`.
        self._hooks: dict[str, list[Callable[[], Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` in the background. The loop keeps only weak references to tasks, so a
        fire-and-forget task must be held somewhere or it can vanish mid-flight."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def on(self, event: str, hook: Callable[[], Any]) -> None:
        """Call `hook()` (on the event loop) whenever `event` is emitted."""
        self._hooks.setdefault(event, []).append(hook)

    def emit(self, event: str) -> None:
        for hook in self._hooks.get(event, []):
            try:
                hook()
            except Exception:
                self.log_failure(f"on:{event}")

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        # The stream gets its own fd: llama.cpp redirects fd 1 while it loads (see lsp/stdio.py).
        from csound_assist.lsp.stdio import private_stdout

        super().start_io(stdin, stdout or private_stdout())

    # -- isolation
    # ----------------------------------------------------------------------------------
    def guard(self, feature: str, default: Any = None) -> Callable[[F], F]:
        """Decorate a handler so an exception is logged and answered with `default`."""

        def decorate(fn: F) -> F:
            if inspect.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def run_async(*args: Any, **kwargs: Any) -> Any:
                    t0 = time.perf_counter()
                    try:
                        return await fn(*args, **kwargs)
                    except JsonRpcException:
                        raise  # a deliberate error answer (bad params), not a failure
                    except Exception:
                        self.log_failure(feature)
                        return default
                    finally:
                        self._timed(feature, t0)

                return run_async  # type: ignore[return-value]

            @functools.wraps(fn)
            def run(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                except JsonRpcException:
                    raise
                except Exception:
                    self.log_failure(feature)
                    return default
                finally:
                    self._timed(feature, t0)

            return run  # type: ignore[return-value]

        return decorate

    def log_failure(self, feature: str) -> None:
        self.failures[feature] = self.failures.get(feature, 0) + 1
        logger.exception("feature {} failed; answering with a neutral result", feature)

    def _timed(self, feature: str, t0: float) -> None:
        samples = self.timings.setdefault(feature, [])
        samples.append((time.perf_counter() - t0) * 1000)
        if len(samples) > 10_000:
            del samples[:5_000]

    # -- status and messages
    # ------------------------------------------------------------------------
    def update_status(self, **fields: Any) -> None:
        """Merge `fields` into the status and send `csound/status` (see lsp/README.md)."""
        self.status.update(fields)
        try:
            self.protocol.notify(STATUS_METHOD, dict(self.status))
        except Exception:  # no client connected yet (e.g. in unit tests)
            logger.debug("status not sent: {}", self.status)

    def message(self, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=text))
        except Exception:
            logger.info(text)

    def workspace_root(self) -> Path | None:
        try:
            root = self.workspace.root_path
        except RuntimeError:
            return None
        if root:
            return Path(root)
        folders = list(self.workspace.folders.values())
        if folders:
            path = to_fs_path(folders[0].uri)
            return Path(path) if path else None
        return None

    def reload_config(self, editor_settings: dict[str, Any] | None = None) -> list[str]:
        """Re-read configuration with the editor's settings on top; returns new problems."""
        if editor_settings is not None:
            self.editor_settings = editor_settings
        old = set(self.config.problems)
        self.config = load_config(self.workspace_root(), self.editor_settings)
        self.documents.max_bytes = self.config.editor.max_file_bytes
        return [p for p in self.config.problems if p not in old]


def create_server(features: list[str] | None = None) -> CsoundLanguageServer:
    ls = CsoundLanguageServer()
    for name in features or FEATURES:
        try:
            module = importlib.import_module(f"csound_assist.lsp.features.{name}")
        except ModuleNotFoundError as exc:
            # An optional feature whose engine is not installed must not stop the others.
            logger.warning("LSP feature {} unavailable: {}", name, exc)
            continue
        module.register(ls)
    return ls
