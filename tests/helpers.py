"""Helpers shared by the test modules: a small CSD, the CLI as a user runs it, a free port, and the
dull half of a scripted model backend."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from csound_assist.model import ModelInfo

HEADER = "sr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n"


def csd(orc: str, sco: str = "i 1 0 1", header: str = HEADER, options: str | None = "-odac") -> str:
    """A CSD around an orchestra: options (none when None), the header, a blank line, `orc`."""
    head = "" if options is None else f"<CsOptions>\n{options}\n</CsOptions>\n"
    return (
        f"<CsoundSynthesizer>\n{head}<CsInstruments>\n{header}\n{orc}\n</CsInstruments>\n"
        f"<CsScore>\n{sco}\n</CsScore>\n</CsoundSynthesizer>\n"
    )


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`python -m csound_assist ARGS` in a subprocess; stdin is `input`, or /dev/null without it."""
    return subprocess.run(
        [sys.executable, "-m", "csound_assist", *args],
        cwd=cwd,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeBackend:
    """What a test's model backend answers when the test does not care: subclasses set `name` and
    write `chat` and `complete`."""

    name = "fake"

    async def info(self) -> ModelInfo:
        return ModelInfo(self.name, self.name)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return []

    async def preload(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def ctcsound_loads() -> bool:
    """Whether ctcsound imports here (it needs libcsound64.so and libcsnd6.so: Debian
    libcsound64-dev and libcsnd-dev); without them the warm worker is unavailable."""
    try:
        import ctcsound  # noqa: F401
    except (ImportError, OSError):
        return False
    return True
