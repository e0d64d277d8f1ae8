"""The warm compiler: one Csound hosted through ctcsound, in a child process of its own.

Run as `python -m csound_assist.csound_worker` by `diagnostics.warm.WarmCompiler`; never imported
by the server (libcsound is native code: a crash here must not take the server with it). Only the
standard library and ctcsound are imported, so it starts fast.

Protocol: JSON lines. The worker first sends `{"ready": true, "version": N}` (or
`{"ready": false, "error": "…"}` when ctcsound cannot be loaded, then exits). Each request
`{"args": [...], "cwd": "...", "tmp": "..."}` — the argv the CLI check would run, without the
executable — gets `{"rc": CLI-style exit status, "output": Csound's messages, "ms": compile time}`.
`csoundCompile` with those arguments reads the file exactly as `csound` does (same options, no
`<CsOptions>` beyond what the checked copy kept, nothing performed under `--syntax-check-only`);
the instance is then reset for the next request while the server waits for the next edit, which
is what makes a check cost about a millisecond instead of a plugin load.

The protocol travels on a duplicate of the original stdout; fds 1 and 2 point at /dev/null, so
nothing libcsound prints natively can corrupt it.
"""

from __future__ import annotations

import json
import os
import select
import sys
import time
from typing import IO, Any

# csoundCompile's "stopped on purpose" code (CSOUND_EXITJMP_SUCCESS): the syntax check finished.
_EXITJMP_SUCCESS = 256
_RESET_PAUSE = 0.01


def _send(out: IO[bytes], message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode("utf-8") + b"\n")
    out.flush()


def _drain(cs: Any) -> str:
    parts = []
    while cs.messageCnt() > 0:
        parts.append(cs.firstMessage() or "")
        cs.popFirstMessage()
    return "".join(parts)


def cli_status(rc: int) -> int:
    """The exit status `csound` itself gives for a csoundCompile result."""
    if rc in (0, _EXITJMP_SUCCESS) or rc > 0:
        return 0
    return -rc


def serve(inp: IO[bytes], out: IO[bytes]) -> int:
    try:
        import ctcsound
    except (ImportError, OSError, SystemExit) as exc:  # OSError: libcsound64/libcsnd6 missing
        _send(out, {"ready": False, "error": f"ctcsound cannot be loaded: {exc}"})
        return 0
    ctcsound.csoundInitialize(
        ctcsound.CSOUNDINIT_NO_ATEXIT | ctcsound.CSOUNDINIT_NO_SIGNAL_HANDLER
    )
    cs = ctcsound.Csound()
    cs.createMessageBuffer(0)
    _send(out, {"ready": True, "version": cs.version()})
    for line in inp:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            os.chdir(request["cwd"])  # embedded <CsFileB> files land in the private folder
            os.environ["TMPDIR"] = os.environ["TMP"] = os.environ["TEMP"] = request["tmp"]
            start = time.perf_counter()
            rc = cs.compile_("csound", *request["args"])
            output = _drain(cs)
            seconds = time.perf_counter() - start
            os.chdir("/")
        except Exception as exc:  # noqa: BLE001 — reported; the server then recycles the worker
            _send(out, {"error": f"{type(exc).__name__}: {exc}"})
            return 1
        _send(out, {"rc": cli_status(rc), "output": output, "ms": seconds * 1000})
        # Ready for the next check while the editor is idle: reset reloads the plugins (~15 ms)
        # and drops the message buffer with the rest of the instance's state. A short pause
        # first leaves the CPU to the server while it turns this answer into diagnostics.
        select.select([inp], [], [], _RESET_PAUSE)
        cs.reset()
        cs.destroyMessageBuffer()
        cs.createMessageBuffer(0)
        _drain(cs)
    return 0


def main() -> int:
    protocol = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    return serve(sys.stdin.buffer, protocol)


if __name__ == "__main__":
    sys.exit(main())
