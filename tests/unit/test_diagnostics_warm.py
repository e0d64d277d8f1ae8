"""The warm compiler worker: a real child process hosting libcsound through ctcsound.

Every check here compares with the CLI check on the same text, or watches the real worker process
(kill -9, SIGSTOP, recycling)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from csound_assist.diagnostics import CompilerChecker, run_check
from csound_assist.diagnostics.mutate import MUTATIONS
from csound_assist.diagnostics.opcodes import default_table
from csound_assist.diagnostics.warm import WarmCompiler
from tests.helpers import csd, ctcsound_loads

pytestmark = [
    pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed"),
    pytest.mark.skipif(not ctcsound_loads(), reason="ctcsound or libcsnd6 not installed"),
]
DATA = Path(__file__).resolve().parent.parent / "data" / "stderr"
MANUAL = Path("/usr/share/doc/csound-doc/html/examples")
GOOD = csd("instr 1\n  aSig vco2 0.2, 440\n  outs aSig, aSig\nendin")
BAD = csd("instr 1\n  aSig vcoo2 0.2, 440\n  outs aSig, aSig\nendin")


@pytest.fixture
async def warm() -> AsyncIterator[WarmCompiler]:
    compiler = WarmCompiler()
    assert await compiler.wait_ready(), compiler.unavailable
    yield compiler
    await compiler.aclose()


def _key(result: object) -> list[tuple[object, ...]]:
    return sorted(
        (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
         d.code, d.message, d.severity)
        for d in result.diagnostics  # type: ignore[attr-defined]
    )


def _corpus() -> list[Path]:
    files = sorted(p for p in DATA.iterdir() if p.suffix in (".csd", ".orc", ".sco", ".udo"))
    return files + sorted(MANUAL.glob("*.csd"))[::60]


async def test_the_worker_gives_the_cli_checks_diagnostics_exactly(warm: WarmCompiler) -> None:
    """Same ranges, codes, messages and exit status, file by file: the test data's compiler
    errors, a sample of the manual's examples, and one planted error of every class."""
    import random

    texts = [(p.read_text(errors="replace"), p) for p in _corpus()]
    rnd = random.Random(15)
    bases = [p for p in sorted(MANUAL.glob("*.csd"))[::40]]
    for _name, mutate in MUTATIONS.items():
        base = rnd.choice(bases)
        m = mutate(base.read_text(errors="replace"), rnd, default_table())
        if m is not None:
            texts.append((m.text, base))
    assert len(texts) > 40
    for text, path in texts:
        cli = await run_check(text, path)
        hot = await run_check(text, path, warm=warm)
        assert hot.via == "worker", path
        assert (hot.returncode, _key(hot)) == (cli.returncode, _key(cli)), path


async def test_the_worker_never_runs_code_or_applies_options(
    warm: WarmCompiler, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    text = (
        "<CsoundSynthesizer>\n<CsOptions>\n-odac --opcode-lib=/nonexistent/evil.so "
        f"-o {tmp_path}/canary_out.wav\n</CsOptions>\n<CsInstruments>\n"
        "sr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n"
        f'iGlobal system_i 1, "touch {tmp_path}/canary_global"\n'
        f'instr 1\n  iRan system_i 1, "touch {tmp_path}/canary_instr"\nendin\n'
        f'</CsInstruments>\n<CsScore bin="touch {tmp_path}/canary_bin">\ni 1 0 0.01\n'
        "</CsScore>\n</CsoundSynthesizer>\n"
    )
    for _ in range(3):  # on a fresh and on a reset instance
        result = await run_check(text, work / "evil.csd", warm=warm)
        assert result.via == "worker" and result.returncode == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]
    assert list(work.iterdir()) == []


async def test_an_include_folder_does_not_leak_into_the_next_check(
    warm: WarmCompiler, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "gain.udo").write_text("opcode Gain, a, a\n  ain xin\n  xout ain\nendop\n")
    text = '#include "gain.udo"\ninstr 1\n  a1 Gain a(0)\n  outs a1, a1\nendin\n'
    found = await run_check(text, tmp_path / "a" / "main.orc", warm=warm)
    assert found.via == "worker" and found.returncode == 0, found.output
    missing = await run_check(text, tmp_path / "b" / "main.orc", warm=warm)
    assert missing.via == "worker"
    assert [str(d.code) for d in missing.diagnostics] == ["missing-include"]


async def test_kill_9_mid_check_still_answers_and_the_next_check_is_warm(
    warm: WarmCompiler, tmp_path: Path
) -> None:
    # A big orchestra keeps the worker busy long enough to be killed in the middle of it.
    body = "\n".join(
        f"instr {i}\n  a{i} vco2 0.1, {i}\n  outs a{i}, a{i}\nendin" for i in range(1, 6000)
    )
    text = csd(body + "\ninstr 9999\n  aBad vcoo2 0.1, 1\nendin")
    pid = warm.pid
    assert pid is not None
    task = asyncio.ensure_future(run_check(text, tmp_path / "big.csd", warm=warm, timeout=60))
    while warm._lock is None or not warm._lock.locked():  # noqa: SLF001 — the request is out
        await asyncio.sleep(0.001)
    os.kill(pid, signal.SIGKILL)
    result = await task
    # The CLI took over for this check: the real error, not an empty or failed result.
    assert result.via == "cli" and not result.timed_out
    assert [str(d.code) for d in result.diagnostics] == ["syntax-error"]
    assert await warm.wait_ready()
    assert warm.pid != pid and warm.restarts == 1
    again = await run_check(BAD, tmp_path / "x.csd", warm=warm)
    assert again.via == "worker" and [str(d.code) for d in again.diagnostics] == ["syntax-error"]


async def test_a_hung_worker_is_killed_at_the_timeout_and_replaced(
    warm: WarmCompiler, tmp_path: Path
) -> None:
    pid = warm.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # alive but never answering
    result = await run_check(GOOD, tmp_path / "x.csd", warm=warm, timeout=0.5)
    assert result.timed_out and result.diagnostics == []
    with pytest.raises(ProcessLookupError):
        for _ in range(200):
            os.kill(pid, 0)  # killed (and reaped) soon after the timeout
            await asyncio.sleep(0.01)
    assert await warm.wait_ready()
    assert (await run_check(GOOD, tmp_path / "x.csd", warm=warm)).via == "worker"


async def test_the_worker_is_recycled_after_n_compiles_without_a_gap(tmp_path: Path) -> None:
    warm = WarmCompiler(max_compiles=3)
    try:
        assert await warm.wait_ready()
        pids = []
        for i in range(12):
            result = await run_check(BAD if i % 2 else GOOD, tmp_path / "x.csd", warm=warm)
            # The next worker starts while the old one serves: no check falls back to the CLI.
            assert result.via == "worker", i
            assert bool(result.diagnostics) == bool(i % 2)
            pids.append(warm.pid)
            await asyncio.sleep(0.4)  # the editor's pause between checks
        assert len(set(pids)) >= 3, pids
        assert all(n <= 4 for n in (pids.count(p) for p in set(pids))), pids
        for pid in set(pids) - {warm.pid}:  # the replaced workers exited
            with pytest.raises(ProcessLookupError):
                for _ in range(300):
                    os.kill(pid, 0)
                    await asyncio.sleep(0.01)
    finally:
        await warm.aclose()


async def test_a_superseded_check_leaves_the_worker_in_step(
    warm: WarmCompiler, tmp_path: Path
) -> None:
    checker = CompilerChecker(warm=warm)
    body = "\n".join(f"instr {i}\n  a{i} vco2 0.1, {i}\n  outs a{i}, a{i}\nendin"
                     for i in range(1, 3000))
    older = asyncio.ensure_future(checker.check_result("doc", csd(body), tmp_path / "x.csd"))
    while warm._lock is None or not warm._lock.locked():  # noqa: SLF001
        await asyncio.sleep(0.001)
    newer = await checker.check_result("doc", BAD, tmp_path / "x.csd")
    with pytest.raises(asyncio.CancelledError):
        await older
    # The answer to the cancelled check was read and dropped, not taken for this one.
    assert newer.via == "worker" and [str(d.code) for d in newer.diagnostics] == ["syntax-error"]
    assert (await checker.check_result("doc", GOOD, tmp_path / "x.csd")).diagnostics == []


async def test_without_ctcsound_checks_run_the_cli(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # What a machine without libcsnd6 gives: importing ctcsound raises OSError.
    fake = tmp_path / "site"
    fake.mkdir()
    (fake / "ctcsound.py").write_text(
        'raise OSError("libcsnd6.so: cannot open shared object file: No such file or directory")\n'
    )
    monkeypatch.setenv("PYTHONPATH", str(fake))
    warm = WarmCompiler(python=sys.executable)
    try:
        assert not await warm.wait_ready()
        assert warm.unavailable is not None and "libcsnd6.so" in warm.unavailable
        result = await run_check(BAD, tmp_path / "x.csd", warm=warm)
        assert result.via == "cli" and [str(d.code) for d in result.diagnostics] == ["syntax-error"]
    finally:
        await warm.aclose()
