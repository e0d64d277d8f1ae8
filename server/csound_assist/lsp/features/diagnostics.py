"""publishDiagnostics: compiler check + static checks per document, debounced, superseded runs
cancelled.

Every open/change (or save, with `editor.diagnosticsOn = "save"`) restarts the document's run: the
previous one is cancelled (its csound process is killed by `CompilerChecker`), then an adaptive
debounce
(150–300 ms, from recent check times) lets typing settle before anything runs. The engine reports
code-point columns; they are converted to the client's encoding here, against the same document
version, and results for a stale version are dropped. The last published set is kept for code
actions.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path

from loguru import logger
from lsprotocol import types
from pygls.uris import to_fs_path

from csound_assist.diagnostics import CompilerChecker, merge, static_checks
from csound_assist.diagnostics.warm import WarmCompiler
from csound_assist.features.document import Document, Pos
from csound_assist.features.protocol import position
from csound_assist.lsp.server import CsoundLanguageServer


@dataclass
class Published:
    version: int
    engine: list[types.Diagnostic]  # code-point columns, as the engine made them
    client: list[types.Diagnostic]  # the same, in the client's encoding (what was sent)


def to_client_range(doc: Document, rng: types.Range) -> types.Range:
    return types.Range(start=position(doc, Pos(rng.start.line, rng.start.character)),
                       end=position(doc, Pos(rng.end.line, rng.end.character)))


def to_client(doc: Document, diag: types.Diagnostic) -> types.Diagnostic:
    import attrs

    related = diag.related_information
    if related:
        related = [attrs.evolve(r, location=attrs.evolve(
            r.location, range=to_client_range(doc, r.location.range)))
            if r.location.uri == doc.uri else r for r in related]
    return attrs.evolve(diag, range=to_client_range(doc, diag.range), related_information=related)


class DiagnosticsRunner:
    def __init__(self, ls: CsoundLanguageServer) -> None:
        self.ls = ls
        csound = ls.config.csound
        warm = WarmCompiler(csound.warm_recycle_after) if csound.warm_compiler else None
        self.checker = CompilerChecker(executable=csound.executable,
                                       timeout=csound.check_timeout, warm=warm)
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.published: dict[str, Published] = {}

    def on_document(self, event: str, doc: Document) -> None:
        uri = doc.uri
        if event == "close":
            self._cancel(uri)
            self.published.pop(uri, None)
            self._publish(uri, None, [])
            return
        editor = self.ls.config.editor
        if not editor.diagnostics or (editor.diagnostics_on == "save" and event == "change"):
            return
        self._cancel(uri)
        self.tasks[uri] = asyncio.ensure_future(self.run(uri, doc.version))

    def _cancel(self, uri: str) -> None:
        task = self.tasks.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()
        self.checker.cancel(uri)

    async def run(self, uri: str, version: int) -> None:
        try:
            await asyncio.sleep(self.checker.delay())  # debounce: a newer edit cancels this task
            doc = self.ls.documents.get(uri)
            if doc is None or doc.version != version:
                return
            text = doc.text
            fs_path = to_fs_path(uri) if uri.startswith("file:") else None
            path = Path(fs_path) if fs_path else None
            max_bytes = self.ls.config.editor.max_file_bytes
            static = await asyncio.to_thread(
                functools.partial(static_checks, text, path, max_bytes=max_bytes))
            compiled: list[types.Diagnostic] = []
            if not doc.too_large:  # the size warning already said there is no compiler check
                self.checker.executable = self.ls.config.csound.executable
                self.checker.timeout = self.ls.config.csound.check_timeout
                self.checker.max_bytes = max_bytes
                compiled = await self.checker.check(uri, text, path)
            diags = merge(compiled, static)
            doc = self.ls.documents.get(uri)
            if doc is None or doc.version != version:
                return  # stale: a newer run publishes
            client = [to_client(doc, d) for d in diags]
            self.published[uri] = Published(version, diags, client)
            self._publish(uri, version, client)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.ls.log_failure("diagnostics")

    def _publish(self, uri: str, version: int | None, diags: list[types.Diagnostic]) -> None:
        try:
            self.ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diags))
        except Exception as exc:
            logger.warning("publishDiagnostics failed for {}: {}", uri, exc)


def register(ls: CsoundLanguageServer) -> None:
    runner = DiagnosticsRunner(ls)
    ls.diagnostics_runner = runner  # type: ignore[attr-defined]  # code_actions reads it
    ls.documents.on_change(runner.on_document)


__all__ = ["DiagnosticsRunner", "Published", "register", "to_client", "to_client_range"]
