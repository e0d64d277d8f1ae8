"""The warm compiler worker, server side: one `csound_worker` child that checks buffers in about a
millisecond instead of a fresh `csound` process that spends ~90 % of its time loading plugins.

`WarmCompiler.compile(args, cwd, tmp, timeout)` sends the argv the CLI check would run and returns
the worker's `Reply`, `TIMED_OUT` (the worker was killed), or None when the worker cannot answer
this check — not started yet, restarting after a crash, or unavailable because ctcsound cannot be
loaded — and the caller then runs the `csound` CLI, so a check always gets a result. The worker is
recycled after `max_compiles` checks or on any error (libcsound was seen to crash after hundreds of
compiles in one process), restarted with backoff after a crash, and never outlives the server: it
exits when its stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.processes import kill_group

START_TIMEOUT = 15.0
MAX_OUTPUT = 1 << 22  # one reply line; Csound stops at its first error, so this is generous


@dataclass(frozen=True, slots=True)
class Reply:
    returncode: int
    output: str
    ms: float  # the compile itself, inside the worker


class _TimedOut:
    def __repr__(self) -> str:
        return "TIMED_OUT"


TIMED_OUT = _TimedOut()


class WarmCompiler:
    def __init__(self, max_compiles: int = 200, python: str = sys.executable) -> None:
        self.max_compiles = max_compiles
        self.python = python
        self.unavailable: str | None = None  # why ctcsound cannot be used; then always None
        self.compiles = 0  # by the current worker
        self.restarts = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._ready = False
        self._starting: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._failures = 0
        self._not_before = 0.0  # backoff: no new worker before this monotonic time
        self._closed = False
        self._spawning: asyncio.subprocess.Process | None = None  # started, not yet ready

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def ready(self) -> bool:
        return self._ready and self._proc is not None and self._proc.returncode is None

    def start_soon(self) -> None:
        """Start a worker in the background unless one runs, is starting, or backoff forbids it."""
        if self._closed or self.unavailable or self.ready:
            return
        if self._starting is not None and not self._starting.done():
            return
        if time.monotonic() < self._not_before:
            return
        self._starting = asyncio.ensure_future(self._start())

    def _renew(self) -> None:
        """Start the next worker while this one still serves; it takes over once ready."""
        if self._closed or (self._starting is not None and not self._starting.done()):
            return
        self._starting = asyncio.ensure_future(self._start())

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        """Start the worker if needed and wait until it answers (tests, benchmarks, the CLI)."""
        deadline = time.monotonic() + timeout
        while (not self.ready and not self.unavailable and not self._closed
               and time.monotonic() < deadline):
            self.start_soon()
            starting = self._starting
            if starting is not None and not starting.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(starting), deadline - time.monotonic())
            elif not self.ready:  # backing off after a failure: wait for the retry time
                await asyncio.sleep(max(0.01, min(self._not_before, deadline) - time.monotonic()))
        return self.ready

    async def _start(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            proc = await asyncio.create_subprocess_exec(
                self.python, "-m", "csound_assist.csound_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                cwd="/",
                env=env,
                start_new_session=True,  # its own process group: a kill reaches all of it
                limit=MAX_OUTPUT,
            )
        except OSError as exc:
            self._failed(f"the compiler worker could not start: {exc}")
            return
        self._spawning = proc
        hello: dict[str, Any] | None = None
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)
            hello = json.loads(line) if line else None
        except (TimeoutError, ValueError):
            hello = None
        self._spawning = None
        if hello is not None and hello.get("ready"):
            old = self._proc
            self._proc, self._ready, self.compiles = proc, True, 0
            logger.debug("compiler worker {} ready (Csound {})", proc.pid, hello.get("version"))
            if old is not None and old.returncode is None:
                asyncio.ensure_future(self._retire(old))
            return
        self._kill(proc)
        if hello is None:  # crashed, hung or garbled at start: try again later
            self._failed("the compiler worker did not start")
        else:
            # ctcsound or its libraries missing: not worth retrying in this session.
            self.unavailable = str(hello.get("error", "no reason given"))
            logger.info("warm compiler unavailable ({}); checks run the csound CLI",
                        self.unavailable)

    def _failed(self, why: str) -> None:
        self._failures += 1
        # The first failure restarts at once; repeated ones (a file that crashes libcsound each
        # time, a broken install) back off up to 30 s, the CLI checking meanwhile.
        delay = 0.0 if self._failures == 1 else min(30.0, 0.5 * 2 ** (self._failures - 2))
        self._not_before = time.monotonic() + delay
        if delay > 0:  # back up without waiting for the next check to ask
            with contextlib.suppress(RuntimeError):  # no running loop (closing): nothing to do
                asyncio.get_running_loop().call_later(delay, self.start_soon)
        logger.warning("{}; checks run the csound CLI meanwhile (restart in {:.1f} s)", why, delay)

    def _kill(self, proc: asyncio.subprocess.Process | None = None) -> None:
        proc = proc or self._proc
        if proc is self._proc:
            self._ready = False
            self._proc = None
        if proc is not None:
            kill_group(proc)

    async def _retire(self, proc: asyncio.subprocess.Process) -> None:
        """Let a replaced worker finish the check it may be answering: EOF on its stdin ends its
        loop; killed if it has not exited within a few seconds."""
        assert proc.stdin is not None
        with contextlib.suppress(ConnectionError, RuntimeError):
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            self._kill(proc)

    def _recycle(self, why: str) -> None:
        logger.debug("recycling compiler worker {}: {}", self.pid, why)
        self._kill()
        self.restarts += 1
        self.start_soon()

    async def aclose(self) -> None:
        self._closed = True
        if self._spawning is not None:
            self._kill(self._spawning)
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._starting
        proc = self._proc
        self._kill()
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()

    # -- checks ----------------------------------------------------------------------------------
    async def compile(
        self, args: list[str], cwd: Path, tmp: Path, timeout: float
    ) -> Reply | _TimedOut | None:
        if self.unavailable:
            return None
        if not self.ready:
            self.start_soon()
            return None
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            proc = self._proc
            if proc is None or not self.ready:
                return None
            assert proc.stdin is not None and proc.stdout is not None
            request = {"args": args, "cwd": str(cwd), "tmp": str(tmp)}
            try:
                proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                await proc.stdin.drain()
            except (ConnectionError, RuntimeError) as exc:
                self._crashed(proc, f"the compiler worker went away ({exc})")
                return None
            reading = asyncio.ensure_future(proc.stdout.readline())
            try:
                line = await asyncio.wait_for(asyncio.shield(reading), timeout)
            except TimeoutError:
                reading.cancel()
                self._kill(proc)
                self._failures = 0
                self.start_soon()  # a slow file is not the worker's fault: a fresh one at once
                logger.warning("compiler worker killed after {:.1f}s without an answer", timeout)
                return TIMED_OUT
            except asyncio.CancelledError:
                # Superseded: the answer still comes (in about a millisecond). Read and drop it
                # before giving up the worker, so the next request gets its own answer and the
                # check's private folder outlives the compile reading it.
                try:
                    line = await asyncio.wait_for(asyncio.shield(reading), timeout)
                    self._answer(proc, line)
                except (TimeoutError, ValueError, asyncio.CancelledError):
                    reading.cancel()
                    self._kill(proc)
                    self.start_soon()
                raise
            except ValueError:  # a reply over MAX_OUTPUT
                reading.cancel()
                self._recycle("a reply over the size limit")
                return None
            return self._answer(proc, line)

    def _answer(self, proc: asyncio.subprocess.Process, line: bytes) -> Reply | None:
        if not line:
            self._crashed(proc, "the compiler worker died during a check")
            return None
        try:
            data: dict[str, Any] = json.loads(line)
        except ValueError:
            self._recycle("an unreadable reply")
            return None
        if "error" in data:
            self._recycle(str(data["error"]))
            return None
        self._failures = 0
        self.compiles += 1
        if self.compiles >= self.max_compiles and proc is self._proc:
            self._renew()  # the old one keeps answering until the new one is ready
        return Reply(int(data["rc"]), str(data["output"]), float(data.get("ms", 0.0)))

    def _crashed(self, proc: asyncio.subprocess.Process, why: str) -> None:
        self._kill(proc)
        self.restarts += 1
        self._failed(why)
        self.start_soon()
