"""The sandboxed render refuses a file whose includes csound would read without end or block on
(/dev/zero, a real FIFO, a huge file) instead of running csound on it."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from csound_assist.audio.render import render
from tests.helpers import csd

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")


@pytest.mark.parametrize(
    ("include", "words"),
    [
        ("/dev/zero", "/dev/zero is a device, not a file"),
        ("pipe.inc", "pipe.inc is a FIFO, not a file"),
        ("huge.inc", "huge.inc is 50 MB, over the 2.0 MB limit"),
    ],
)
def test_render_refuses_unreadable_includes_at_once(
    tmp_path: Path, include: str, words: str
) -> None:
    os.mkfifo(tmp_path / "pipe.inc")
    with (tmp_path / "huge.inc").open("wb") as fh:
        fh.truncate(50_000_000)
    path = tmp_path / "x.csd"
    path.write_text(csd(f'#include "{include}"\ninstr 1\n  out vco2(0.1, 440)\nendin'))
    start = time.monotonic()
    result = render(path, seconds=0.5)
    assert time.monotonic() - start < 10  # before: csound read /dev/zero until killed
    assert not result.ok and result.refused is not None
    assert result.refused.name == "#include" and words in result.refused.message()
    line = path.read_text().split("\n").index(f'#include "{include}"')
    assert result.refused.line == line


def test_render_of_a_fifo_itself_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "song.csd"
    os.mkfifo(fifo)
    result = render(fifo, seconds=0.5)
    assert not result.ok and result.error is not None and "FIFO" in result.error
