"""Opcode signatures from the installed Csound: `csound -z1` lists every overload it knows.

Each line reads `name  outtypes  intypes` (`(null)` = none); plugin opcodes are included. Csound
writes the list to stderr, and reads stdin unless it is closed, so stdin is always /dev/null.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

INSTALL_CSOUND = "sudo apt-get install csound"
_LINE = re.compile(r"^([A-Za-z_][\w.]*)\s+(\S+)\s+(\S+)\s*$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_VERSION = re.compile(r"Csound version\s+([^\s]+(?:\s*\([^)]*\))?)")


class KnowledgeBaseError(RuntimeError):
    """The knowledge base cannot be built; the message says what to install or fix."""


class CsoundNotFoundError(KnowledgeBaseError):
    pass


@dataclass(frozen=True, slots=True)
class Overload:
    name: str
    outputs: str  # "" when the opcode has none
    inputs: str


def find_executable(executable: str) -> str:
    """The absolute path of `executable` (a name on PATH or a path), or a clear error."""
    path = shutil.which(executable)
    if path is None:
        raise CsoundNotFoundError(
            f"Csound executable {executable!r} was not found. Install Csound with "
            f"`{INSTALL_CSOUND}`, or set csound.executable in the csound-assist configuration."
        )
    return path


def _run(executable: str, *args: str, timeout: float) -> str:
    path = find_executable(executable)
    try:
        proc = subprocess.run(
            [path, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KnowledgeBaseError(f"running `{path} {' '.join(args)}` failed: {exc}") from exc
    text = proc.stderr.decode("utf-8", "replace") + proc.stdout.decode("utf-8", "replace")
    return _ANSI.sub("", text)


def parse_z1(text: str) -> list[Overload]:
    """Overloads from `csound -z1` output, in listed order; banner and summary lines are skipped."""
    out = []
    for line in _ANSI.sub("", text).splitlines():
        m = _LINE.match(line.strip())
        if m is None:
            continue
        name, outs, ins = m.groups()
        if name in {"end", "overall", "Elapsed"}:  # trailer lines that happen to have 3 fields
            continue
        out.append(Overload(name, "" if outs == "(null)" else outs, "" if ins == "(null)" else ins))
    return out


def parse_version(text: str) -> str:
    m = _VERSION.search(_ANSI.sub("", text))
    return m.group(1).strip() if m else ""


def list_overloads(executable: str = "csound", timeout: float = 60.0) -> list[Overload]:
    text = _run(executable, "-z1", timeout=timeout)
    overloads = parse_z1(text)
    if not overloads:
        raise KnowledgeBaseError(
            f"`{executable} -z1` listed no opcodes; is {executable!r} really Csound? "
            f"Output began: {text[:200]!r}"
        )
    return overloads


def csound_version(executable: str = "csound", timeout: float = 30.0) -> str:
    return parse_version(_run(executable, "--version", timeout=timeout))
