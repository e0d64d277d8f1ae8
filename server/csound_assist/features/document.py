"""One open Csound document: its bytes, its tree, and position conversion.

The source of truth is `source` (valid UTF-8 bytes, what tree-sitter reads). Client positions arrive
in
the negotiated encoding (UTF-16 unless the client asked for UTF-8/UTF-32); every conversion goes
through
`Document`, so feature engines work in (line, code-point column) and never count code units
themselves.

Edits are applied incrementally: each change is converted to a byte range, mirrored into the old
tree with
`Tree.edit`, and the tree is re-parsed once per notification with the old tree as a hint, so
tree-sitter
reuses every untouched subtree. Lines are split on "\\n" only, as tree-sitter counts rows.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from loguru import logger

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"

# Extension → what the file holds. `.udo` and `.inc` are orchestra fragments.
KINDS = {".csd": "csd", ".orc": "orc", ".udo": "orc", ".inc": "orc", ".sco": "sco"}
LANGUAGE_IDS = {"csound-csd": "csd", "csound-orc": "orc", "csound-sco": "sco", "csound": "csd"}

# Parser factory: (source, old_tree) -> tree or None. Injected so the engine stays testable without
# a compiled grammar and so a size limit can switch parsing off.
ParseFn = Callable[[bytes, Any], Any]


@dataclass(frozen=True, slots=True)
class Pos:
    """A position in engine units: 0-based line and code-point column."""

    line: int
    char: int


@dataclass(frozen=True, slots=True)
class Span:
    """A range in engine units (same line or not)."""

    start: Pos
    end: Pos

    @staticmethod
    def on_line(line: int, start: int, end: int) -> Span:
        return Span(Pos(line, start), Pos(line, end))


def kind_for(uri_or_path: str, language_id: str | None = None) -> str:
    if language_id and language_id in LANGUAGE_IDS:
        return LANGUAGE_IDS[language_id]
    suffix = Path(uri_or_path.split("?")[0]).suffix.lower()
    return KINDS.get(suffix, "csd")


def _units(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == UTF16:
        return 2 if cp > 0xFFFF else 1
    if encoding == UTF8:
        return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    return 1


def units_to_char(line: str, units: int, encoding: str = UTF16) -> int:
    """Code-point index for a column given in `encoding` code units (clamped to the line)."""
    if units <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    count = 0
    for i, ch in enumerate(line):
        if count >= units:
            return i
        count += _units(ch, encoding)
    return len(line)


def char_to_units(line: str, char: int, encoding: str = UTF16) -> int:
    char = max(0, min(char, len(line)))
    if encoding == UTF32 or line.isascii():
        return char
    prefix = line[:char]
    if encoding == UTF16:
        return len(prefix.encode("utf-16-le", "surrogatepass")) // 2
    return len(prefix.encode("utf-8", "replace"))


def to_utf8(text: str) -> bytes:
    # Lone surrogates (possible in JSON) become "?": one code point for one, so columns stay
    # aligned.
    return text.encode("utf-8", "replace")


def _newlines(data: bytes, base: int) -> list[int]:
    """Offsets (plus `base`) just after each newline in `data`; C-level iteration throughout."""
    if b"\n" not in data:
        return []
    parts = data.split(b"\n")
    parts.pop()
    return list(accumulate(map((1).__add__, map(len, parts)), initial=base))[1:]


@dataclass
class Document:
    uri: str
    source: bytes
    version: int = 0
    kind: str = "csd"
    encoding: str = UTF16
    parse_fn: ParseFn | None = None
    # Files above this size are kept as text only: no tree, reduced analysis.
    max_bytes: int = 2_000_000
    tree: Any = None
    line_starts: list[int] = field(default_factory=list)
    last_parse_ms: float = 0.0
    # The line the last incremental change ended on (None after open or a full replace): what
    # the user just edited, for the inline completion's "recently edited" context.
    edited_line: int | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    # The analyses of the last version that had any, and the edits since as (first line, last
    # line, last line after the edit): what an analysis may update instead of rebuilding.
    previous: dict[str, Any] = field(default_factory=dict, repr=False)
    edits: list[tuple[int, int, int]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.line_starts = [0, *_newlines(self.source, 0)]
        self._reparse(full=True)

    # -- construction
    # ---------------------------------------------------------------------------------
    @classmethod
    def from_text(cls, uri: str, text: str, **kwargs: Any) -> Document:
        return cls(uri=uri, source=to_utf8(text), **kwargs)

    @classmethod
    def from_path(cls, path: Path, **kwargs: Any) -> Document:
        """The document of a file on disk; `files.UnreadableFile` (an OSError) for a device, FIFO
        or a file over `max_bytes`."""
        from csound_assist import files

        data = files.read_bytes(path, int(kwargs.get("max_bytes", files.DEFAULT_MAX_BYTES)))
        # Re-encode so invalid UTF-8 on disk cannot desynchronise byte and character columns.
        text = data.decode("utf-8", "replace")
        kwargs.setdefault("kind", kind_for(str(path)))
        return cls.from_text(path.resolve().as_uri(), text, **kwargs)

    # -- derived views (cached per edit)
    # -------------------------------------------------------------
    @property
    def too_large(self) -> bool:
        return len(self.source) > self.max_bytes

    @property
    def text(self) -> str:
        if "text" not in self._cache:
            self._cache["text"] = self.source.decode("utf-8", "replace")
        return self._cache["text"]

    @property
    def lines(self) -> list[str]:
        if "lines" not in self._cache:
            self._cache["lines"] = self.text.split("\n")
        return self._cache["lines"]

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Memoise an analysis of this exact version; every edit clears it."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def line(self, index: int) -> str:
        lines = self.lines
        return lines[index] if 0 <= index < len(lines) else ""

    # -- conversions
    # -----------------------------------------------------------------------------------
    def pos_from_client(self, line: int, character: int) -> Pos:
        """Client (line, code units) → engine Pos, clamped into the document."""
        lines = self.lines
        if line < 0:
            return Pos(0, 0)
        if line >= len(lines):
            last = len(lines) - 1
            return Pos(last, len(lines[last]))
        return Pos(line, units_to_char(lines[line], character, self.encoding))

    def pos_to_client(self, pos: Pos) -> tuple[int, int]:
        return pos.line, char_to_units(self.line(pos.line), pos.char, self.encoding)

    def byte_offset(self, pos: Pos) -> int:
        line = max(0, min(pos.line, len(self.line_starts) - 1))
        text = self.line(line)
        return self.line_starts[line] + len(to_utf8(text[: max(0, pos.char)]))

    def pos_at_byte(self, offset: int) -> Pos:
        """Engine Pos for a byte offset (e.g. a tree node boundary)."""
        offset = max(0, min(offset, len(self.source)))
        line = bisect_right(self.line_starts, offset) - 1
        col_bytes = self.source[self.line_starts[line] : offset]
        return Pos(line, len(col_bytes.decode("utf-8", "replace")))

    def point_to_pos(self, point: tuple[int, int]) -> Pos:
        """tree-sitter (row, byte column) → engine Pos."""
        row, col = point
        start = self.line_starts[row] if row < len(self.line_starts) else len(self.source)
        return self.pos_at_byte(start + col)

    def _point(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, offset) - 1
        return line, offset - self.line_starts[line]

    # -- edits
    # ------------------------------------------------------------------------------------------
    def apply_changes(self, changes: Iterable[tuple[tuple[int, int, int, int] | None, str]],
                      version: int | None = None) -> None:
        """Apply LSP content changes in order, then re-parse once.

        Each change is ((start_line, start_units, end_line, end_units) | None, new_text);
        None means the
        whole document is replaced.
        """
        full = False
        for rng, new_text in changes:
            if rng is None:
                self._replace_all(to_utf8(new_text))
                full = True
                self.edited_line = None
            else:
                self.edited_line = self._point(self._apply_one(rng, to_utf8(new_text)))[0]
        if version is not None:
            self.version = version
        self._reparse(full=full)

    def _replace_all(self, data: bytes) -> None:
        self.source = data
        self.line_starts = [0, *_newlines(data, 0)]
        self.tree = None
        self._cache.clear()
        self.previous, self.edits = {}, []

    def _apply_one(self, rng: tuple[int, int, int, int], data: bytes) -> int:
        """Apply one ranged change; returns the byte offset where the new text ends."""
        sl, sc, el, ec = rng
        start_pos = self.pos_from_client(sl, sc)
        end_pos = self.pos_from_client(el, ec)
        start, end = self.byte_offset(start_pos), self.byte_offset(end_pos)
        if end < start:
            start, end = end, start
        start_point, old_end_point = self._point(start), self._point(end)
        self.source = self.source[:start] + data + self.source[end:]
        delta = len(data) - (end - start)
        first, last = start_point[0], old_end_point[0]
        tail = self.line_starts[last + 1 :]
        self.line_starts[first + 1 :] = _newlines(data, start) + (
            [x + delta for x in tail] if delta else tail
        )
        new_end = start + len(data)
        if self._cache:
            self.previous, self.edits = self._cache, []
            self._cache = {}
        self.edits.append((first, last, self._point(new_end)[0]))
        if self.tree is not None:
            self.tree.edit(
                start_byte=start,
                old_end_byte=end,
                new_end_byte=new_end,
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=self._point(new_end),
            )
        return new_end

    def _reparse(self, full: bool) -> None:
        if self.parse_fn is None:
            return
        if self.too_large:
            self.tree = None
            return
        t0 = time.perf_counter()
        try:
            self.tree = self.parse_fn(self.source, None if full else self.tree)
        except Exception:  # a parser failure must not lose the text: features degrade to lexical
            logger.exception("parse failed for {}", self.uri)
            self.tree = None
        self.last_parse_ms = (time.perf_counter() - t0) * 1000
