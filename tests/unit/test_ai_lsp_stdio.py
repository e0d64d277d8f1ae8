"""The LSP stream survives what llama-cpp-python does while it loads a model: `dup2` /dev/null over
fds 1 and 2 (process-wide). Run in a child process, since it rewires the process's fds."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import os, sys
from csound_assist.lsp.stdio import private_stdout
stream = private_stdout()
saved = os.dup(1)
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)  # what llama_cpp._utils.suppress_stdout_stderr does
stream.write(b"Content-Length: 2\\r\\n\\r\\n{}")
stream.flush()
os.dup2(saved, 1)
print("stray print")  # goes to stderr now, never into the LSP stream
os.write(1, b"stray native write")
"""

EXIT = """
import time
from csound_assist.lsp.stdio import exit_soon
import threading
threading.Thread(target=time.sleep, args=(60,)).start()  # a non-daemon worker still busy
exit_soon(3, grace_s=0.2)
"""


def test_stream_is_not_redirected_and_stray_output_goes_to_stderr():
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"Content-Length: 2\r\n\r\n{}"
    assert b"stray print" in proc.stderr and b"stray native write" in proc.stderr


def test_exit_ends_the_process_despite_a_busy_worker():
    proc = subprocess.run([sys.executable, "-c", EXIT], capture_output=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 3
