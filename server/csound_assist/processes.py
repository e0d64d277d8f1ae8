"""Ending the child processes we start (csound, its worker) with everything they started."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess


def kill_group(proc: asyncio.subprocess.Process | subprocess.Popen[str]) -> None:
    """SIGKILL a child started in its own session, with whatever it started; only the process
    itself when the group is gone or not ours. A no-op once it has exited."""
    running = proc.poll() is None if isinstance(proc, subprocess.Popen) else proc.returncode is None
    if not running:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
