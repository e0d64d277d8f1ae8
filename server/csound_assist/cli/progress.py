"""Progress of a long CLI step, on a terminal or not.

On a terminal: Rich bars, one per stage. Otherwise (a pipe, a log file, `make run | tee`): plain
lines, so a user reading the log never sees a silent minute — one when a stage starts, one every
`every` seconds while it runs, and one when it ends, each with its counts and elapsed time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

#: progress(stage, done, total), the shape `retrieval.Index.update` calls.
Callback = Callable[[str, int, int], None]


class LineProgress:
    """Stage lines for output that is not a terminal. Pure apart from `write` and `clock`."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        prefix: str = "",
        every: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._prefix = prefix
        self._every = every
        self._clock = clock
        self._stage: str | None = None
        self._started = 0.0
        self._last_line = 0.0
        self._done = 0
        self._total = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self._clock()
        if stage != self._stage:
            self.close()
            self._stage, self._started, self._last_line = stage, now, now
            self._emit(f"{stage} {done}/{total}", now)
        elif now - self._last_line >= self._every:
            self._last_line = now
            self._emit(f"{stage} {done}/{total}", now)
        self._done, self._total = done, total

    def close(self) -> None:
        """Report the end of the current stage (called on a stage change and at the end)."""
        if self._stage is not None:
            self._emit(f"{self._stage} {self._done}/{self._total} done", self._clock())
            self._stage = None

    def _emit(self, what: str, now: float) -> None:
        self._write(f"{self._prefix}{what} ({now - self._started:.1f} s)")


@contextmanager
def reporter(prefix: str = "", stream: TextIO | None = None) -> Iterator[Callback]:
    """A progress callback for the duration of a `with`: bars on a terminal, lines elsewhere."""
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream),
            transient=True,
        ) as bar:
            tasks: dict[str, int] = {}

            def on_tty(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total or 1)
                bar.update(tasks[stage], completed=done, total=total or 1)

            yield on_tty
        return
    lines = LineProgress(lambda text: print(text, file=stream, flush=True), prefix=prefix)
    yield lines
    lines.close()  # not on an error: a stage that failed did not end
