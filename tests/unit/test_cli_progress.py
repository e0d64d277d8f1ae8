"""Progress without a terminal: one line per stage start and end, heartbeats while a stage runs."""

from __future__ import annotations

import io

from csound_assist.cli.progress import LineProgress, reporter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_stage_lines_carry_counts_and_elapsed_time() -> None:
    lines: list[str] = []
    clock = Clock()
    progress = LineProgress(lines.append, prefix="index: ", every=10, clock=clock)
    progress("chunking", 0, 40)
    for i in range(1, 41):
        clock.now += 0.5
        progress("chunking", i, 40)
    progress("embedding", 0, 900)
    clock.now += 3
    progress("embedding", 900, 900)
    progress.close()
    assert lines == [
        "index: chunking 0/40 (0.0 s)",
        "index: chunking 20/40 (10.0 s)",
        "index: chunking 40/40 (20.0 s)",
        "index: chunking 40/40 done (20.0 s)",
        "index: embedding 0/900 (0.0 s)",
        "index: embedding 900/900 done (3.0 s)",
    ]


def test_quiet_stages_still_report_their_end() -> None:
    lines: list[str] = []
    progress = LineProgress(lines.append, clock=Clock())
    progress("writing", 0, 1)
    progress("writing", 1, 1)
    progress.close()
    progress.close()  # a second close adds nothing
    assert lines == ["writing 0/1 (0.0 s)", "writing 1/1 done (0.0 s)"]


def test_reporter_writes_lines_to_a_pipe_and_no_end_after_an_error() -> None:
    stream = io.StringIO()
    with reporter("x: ", stream) as progress:
        progress("scanning", 3, 3)
    assert stream.getvalue().splitlines() == [
        "x: scanning 3/3 (0.0 s)",
        "x: scanning 3/3 done (0.0 s)",
    ]
    failed = io.StringIO()
    try:
        with reporter("x: ", failed) as progress:
            progress("embedding", 1, 9)
            raise RuntimeError("disk full")
    except RuntimeError:
        pass
    assert "done" not in failed.getvalue()
