"""The one reader of user files: regular files only, up to a size limit.

Every path that comes from the user (a file to check, an `#include`, a workspace file to index or
list) is read through `read_bytes`/`read_text`. A device (`/dev/zero` reads without end), a
FIFO (blocks until a writer comes) or a socket is refused from its `stat`, before anything opens
it; the open itself is non-blocking and re-checked with `fstat`, so a file swapped for a FIFO
between the two cannot block either. A file over the limit is refused from its size, and reading
stops at the limit should it grow meanwhile.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# The default of `editor.max_file_bytes` (config.EditorConfig), for callers without a config.
DEFAULT_MAX_BYTES = 2_000_000


class UnreadableFile(OSError):
    """A user file that is refused; `reason` is a sentence fit for a diagnostic."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(reason)
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n < 10_000_000 else f"{n / 1e6:.0f} MB"


def refusal(path: Path | str, st: os.stat_result, max_bytes: int) -> str | None:
    """Why a file with this `stat` is not read, or None when it may be."""
    kind = _kind(st.st_mode)
    if kind is not None:
        return f"{path} is {kind}, not a file"
    if st.st_size > max_bytes:
        return f"{path} is {megabytes(st.st_size)}, over the {megabytes(max_bytes)} limit"
    return None


def check(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Raise `UnreadableFile` (or FileNotFoundError and the like) unless `path` may be read."""
    st = os.stat(path)
    reason = refusal(path, st, max_bytes)
    if reason is not None:
        raise UnreadableFile(path, reason)


def readable(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> bool:
    """Whether `read_bytes(path, max_bytes)` would read it (no exception from `stat`)."""
    try:
        check(path, max_bytes)
    except OSError:
        return False
    return True


def read_bytes(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes; `UnreadableFile` for a device, FIFO, socket, folder or too large a file,
    `OSError` for the rest (missing, no permission)."""
    check(path, max_bytes)
    # O_NONBLOCK: should the path have become a FIFO since the stat, open does not wait for a
    # writer; fstat below then refuses it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        reason = refusal(path, st, max_bytes)
        if reason is not None:
            raise UnreadableFile(path, reason)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            block = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > max_bytes:  # it grew after the stat
            raise UnreadableFile(path, f"{path} is over the {megabytes(max_bytes)} limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """`read_bytes` decoded as UTF-8; invalid bytes become U+FFFD (as every reader did before)."""
    return read_bytes(path, max_bytes).decode("utf-8", errors="replace")
