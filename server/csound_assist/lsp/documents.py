"""Open documents with their trees, kept in sync incrementally (see `features.document.Document`).

Other LSP modules subscribe with `store.on_change(callback)`: the callback gets (event, document)
with
event "open" | "change" | "save" | "close", after the tree is up to date.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from loguru import logger

from csound_assist.features.document import UTF8, UTF16, UTF32, Document, kind_for

if TYPE_CHECKING:
    from csound_assist.lsp.server import CsoundLanguageServer

Listener = Callable[[str, Document], None]


def make_parse_fn() -> Callable[[bytes, Any], Any] | None:
    """An incremental parse function over the Csound grammar, or None when it is not installed."""
    try:
        from csound_assist import parsing

        parser = parsing.parser()  # our own: parsers are not thread-safe
    except Exception as exc:  # ImportError, or a grammar binding built for another ABI
        logger.warning("tree-sitter grammar unavailable ({}); lexical analysis only", exc)
        return None

    def parse(source: bytes, old_tree: Any) -> Any:
        return parser.parse(source, old_tree) if old_tree is not None else parser.parse(source)

    return parse


class DocumentStore:
    def __init__(self, ls: CsoundLanguageServer | None = None) -> None:
        self._ls = ls
        self._docs: dict[str, Document] = {}
        self._listeners: list[Listener] = []
        self._parse_fn: Callable[[bytes, Any], Any] | None | bool = False  # False: not yet resolved
        self.max_bytes = 2_000_000
        self.warned_large: set[str] = set()
        # Milliseconds from receiving a didChange to an updated tree, for the benchmark.
        self.update_ms: list[float] = []

    @property
    def parse_fn(self) -> Callable[[bytes, Any], Any] | None:
        if self._parse_fn is False:
            self._parse_fn = make_parse_fn()
        return self._parse_fn  # type: ignore[return-value]

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: str, doc: Document) -> None:
        for listener in self._listeners:
            try:
                listener(event, doc)
            except Exception:
                logger.exception("document listener failed on {} {}", event, doc.uri)

    def encoding(self) -> str:
        """The negotiated position encoding ("utf-16" unless the client offered another first)."""
        try:
            kind = self._ls.workspace.position_encoding if self._ls else UTF16
        except RuntimeError:  # not initialised
            return UTF16
        value = str(getattr(kind, "value", kind)).lower()
        return value if value in (UTF8, UTF16, UTF32) else UTF16

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._docs.values()))

    def __len__(self) -> int:
        return len(self._docs)

    def open(self, uri: str, text: str, version: int = 0,
             language_id: str | None = None) -> Document:
        doc = Document.from_text(uri, text, version=version, kind=kind_for(uri, language_id),
                                 encoding=self.encoding(), parse_fn=self.parse_fn,
                                 max_bytes=self.max_bytes)
        self._docs[uri] = doc
        self._emit("open", doc)
        return doc

    def change(self, uri: str, changes: list[tuple[tuple[int, int, int, int] | None, str]],
               version: int | None = None) -> Document | None:
        doc = self._docs.get(uri)
        if doc is None:
            logger.warning("change for a document that is not open: {}", uri)
            return None
        t0 = time.perf_counter()
        doc.apply_changes(changes, version)
        self.update_ms.append((time.perf_counter() - t0) * 1000)
        if len(self.update_ms) > 10_000:
            del self.update_ms[:5_000]
        self._emit("change", doc)
        return doc

    def save(self, uri: str) -> None:
        doc = self._docs.get(uri)
        if doc is not None:
            self._emit("save", doc)

    def close(self, uri: str) -> None:
        doc = self._docs.pop(uri, None)
        if doc is not None:
            self._emit("close", doc)
