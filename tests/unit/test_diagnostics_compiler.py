"""The compiler check: a real `csound --syntax-check-only` subprocess, sandboxed and cancellable."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from csound_assist.diagnostics import CompilerChecker, run_check, sanitize_csd
from csound_assist.diagnostics.compiler import prepare
from csound_assist.diagnostics.model import Code
from csound_assist.diagnostics.opcodes import default_table
from tests.helpers import csd

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
DATA = Path(__file__).resolve().parent.parent / "data" / "stderr"

GOOD = "instr 1\n  aSig vco2 0.2, 440\n  outs aSig, aSig\nendin"


def _csd(body: str = GOOD) -> str:
    return csd(body)


async def test_clean_buffer_has_no_diagnostics_and_unsaved_text_is_what_is_checked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "song.csd"
    path.write_text(_csd("instr 1\n  aSig vcoo2 0.2, 440\nendin"))  # on disk: broken
    result = await run_check(_csd(), path)  # the buffer: fine
    assert result.returncode == 0 and result.diagnostics == []


async def test_error_is_reported_and_no_file_is_left_in_the_workspace(tmp_path: Path) -> None:
    path = tmp_path / "song.csd"
    path.write_text(_csd())
    before = sorted(p.name for p in tmp_path.iterdir())
    result = await run_check(_csd("instr 1\n  aSig vcoo2 0.2, 440\nendin"), path)
    assert [d.code for d in result.diagnostics] == [Code.SYNTAX]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


async def test_include_resolves_against_the_document_folder_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "gain.udo").write_text(
        "opcode Gain, a, a\n  ain xin\n  xout ain*0.5\nendop\n"
    )
    path = tmp_path / "lib" / "main.orc"
    text = '#include "gain.udo"\ninstr 1\n  a1 Gain a(0)\n  outs a1, a1\nendin\n'
    monkeypatch.chdir("/")
    result = await run_check(text, path)
    assert result.returncode == 0, result.output
    broken = await run_check(text.replace("gain.udo", "nope.udo"), path)
    assert [d.code for d in broken.diagnostics] == [Code.INCLUDE]


async def test_orc_is_checked_with_its_same_named_sco(tmp_path: Path) -> None:
    orc = tmp_path / "piece.orc"
    (tmp_path / "piece.sco").write_text("i 1 0 1\nq x y z\n")
    result = await run_check("instr 1\nendin\n", orc)
    assert result.returncode == 0
    assert "piece" in result.output or "score.sco" in result.output


async def test_udo_fragment_is_wrapped_and_errors_map_back_to_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "frag.udo"
    text = "opcode Bad, a, a\n  ain xin\n  aout moogg ain\n  xout aout\nendop\n"
    result = await run_check(text, path)
    [d] = result.diagnostics
    assert d.range.start.line == 2 and text.split("\n")[2][d.range.start.character :].startswith(
        "moogg"
    )


async def test_timeout_kills_the_process_and_returns_nothing(tmp_path: Path) -> None:
    result = await run_check(_csd(), tmp_path / "x.csd", timeout=0.0005)
    assert result.timed_out and result.diagnostics == []


async def test_newer_check_cancels_and_kills_the_older_one(tmp_path: Path) -> None:
    spawned: list[asyncio.subprocess.Process] = []
    checker = CompilerChecker(on_spawn=spawned.append)
    path = tmp_path / "x.csd"
    body = "\n".join(
        f"instr {i}\n  a{i} vco2 0.1, {i}\n  outs a{i}, a{i}\nendin" for i in range(1, 3000)
    )
    older = asyncio.ensure_future(checker.check("doc", _csd(body), path))
    while not spawned:
        await asyncio.sleep(0.005)
    newer = await checker.check("doc", _csd(), path)
    with pytest.raises(asyncio.CancelledError):
        await older
    assert newer == []
    assert spawned[0].returncode is not None  # killed, not left running
    assert not checker.in_flight("doc")


def test_sanitize_blanks_score_generators_and_option_flags_keeping_lines() -> None:
    text = (
        "<CsoundSynthesizer>\n<CsOptions>\n--opcode-lib=/tmp/evil.so --omacro:X=1 -odac\n"
        "</CsOptions>\n<CsInstruments>\ninstr 1\nendin\n</CsInstruments>\n"
        '<CsScore bin="sh -c touch">\necho pwned\n</CsScore>\n</CsoundSynthesizer>\n'
    )
    safe = sanitize_csd(text)
    assert safe.count("\n") == text.count("\n")
    assert "evil" not in safe and "--omacro:X=1" in safe and "-odac" not in safe
    assert "bin=" not in safe and "pwned" not in safe


def test_prepare_runs_orchestras_with_orc_flag_and_csd_as_is(tmp_path: Path) -> None:
    p = prepare("instr 1\nendin\n", tmp_path / "a.orc", tmp_path)
    assert "--orc" in p.args and p.cwd == tmp_path
    c = prepare(_csd(), Path("/somewhere/b.csd"), tmp_path)
    assert c.args[-1] == "b.csd" and "--env:INCDIR+=/somewhere" in c.args
    assert (tmp_path / "b.csd").exists()


async def test_missing_csound_gives_one_clear_message() -> None:
    result = await run_check(_csd(), None, executable="csound-does-not-exist")
    [d] = result.diagnostics
    assert d.code == Code.CHECK_FAILED and "install" in d.message


async def test_no_process_outlives_the_checks(tmp_path: Path) -> None:
    spawned: list[asyncio.subprocess.Process] = []
    for _ in range(3):
        await run_check(_csd(), tmp_path / "x.csd", on_spawn=spawned.append)
    for proc in spawned:
        assert proc.returncode is not None
        with pytest.raises(ProcessLookupError):
            os.kill(proc.pid, 0)


async def test_argument_type_errors_list_the_opcode_forms(tmp_path: Path) -> None:
    text = _csd('instr 1\n  aSig vco2 "hello", 440\n  outs aSig, aSig\nendin')
    [d] = (await run_check(text, tmp_path / "x.csd")).diagnostics
    assert d.code == Code.ARG_TYPES
    [form] = default_table().render_forms("vco2")  # the manual's form, or Csound's codes
    assert "found: a vco2 Sc" in d.message and f"its forms: {form}" in d.message


async def test_score_alone_is_checked_against_a_minimal_orchestra(tmp_path: Path) -> None:
    text = "i 1 0 1\ni 2 0 x\n"
    [d] = (await run_check(text, tmp_path / "alone.sco")).diagnostics
    assert d.code == Code.SCORE and (d.range.start.line, d.range.start.character) == (1, 6)


async def test_fragment_ending_inside_a_block_points_at_its_last_line(tmp_path: Path) -> None:
    text = "opcode Foo, a, a\n  ain xin\n  xout ain\n"
    [d] = (await run_check(text, tmp_path / "open.udo")).diagnostics
    assert d.code == Code.SYNTAX and d.range.start.line == 2 and "end of file" in d.message
