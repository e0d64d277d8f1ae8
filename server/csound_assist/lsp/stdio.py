"""The LSP stream's own file descriptor, and an exit that cannot hang.

stdout (fd 1) is the LSP stream, but native libraries write to fd 1 too, and llama-cpp-python
even `dup2`s /dev/null over fds 1 and 2 while it loads a model or formats a chat (its
`suppress_stdout_stderr`) — process-wide, from a worker thread. Any message the event loop wrote
in that window vanished, and the client waited for an answer forever. So the server writes the
stream to a private duplicate of fd 1 and points fd 1 at stderr: stray native output becomes log
noise, and nothing can redirect the stream away.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import BinaryIO

from loguru import logger

EXIT_GRACE_S = 2.0


def private_stdout() -> BinaryIO:
    """A private duplicate of fd 1 for the LSP stream; fd 1 itself then goes to stderr."""
    sys.stdout.flush()
    stream_fd = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr  # a stray print() is log noise, never a broken LSP frame
    return os.fdopen(stream_fd, "wb")


def exit_soon(code: int, grace_s: float = EXIT_GRACE_S) -> None:
    """End the process within `grace_s` seconds of the client's `exit`, whatever is in flight.

    pygls raises SystemExit, after which `asyncio.run` joins the default executor and the
    interpreter joins worker threads — a model load, a 30 s wait for a generation to stop, a
    compiler check. A daemon timer ends the process if that orderly exit has not by then.
    """

    def force() -> None:
        logger.warning("exit did not finish in {} s; ending the process", grace_s)
        os._exit(code)

    timer = threading.Timer(grace_s, force)
    timer.daemon = True
    timer.start()
