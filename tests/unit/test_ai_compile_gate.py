"""Inline suggestions compiled in place (ai.compile_gate) with the real compiler check: through
the warm worker and through the csound CLI."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from csound_assist.ai.compile_gate import added_errors, judge, without_block
from csound_assist.diagnostics import CompilerChecker
from csound_assist.diagnostics.model import SOURCE_COMPILER, Code, diagnostic
from csound_assist.diagnostics.warm import WarmCompiler
from tests.helpers import csd, ctcsound_loads

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
CURSOR = "<|>"
DOC = csd("""\
instr 1
  kEnv linseg 0, 0.1, 1, p3 - 0.1, 0
  aSig <|>
  outs aSig, aSig
endin""")


def _at(doc: str) -> tuple[str, int]:
    return doc.replace(CURSOR, ""), doc.index(CURSOR)


@pytest.fixture(params=["warm", "cli"])
async def checker(request: pytest.FixtureRequest) -> AsyncIterator[CompilerChecker]:
    warm = None
    if request.param == "warm":
        if not ctcsound_loads():
            pytest.skip("ctcsound or libcsnd6 not installed")
        warm = WarmCompiler()
        assert await warm.wait_ready()
    yield CompilerChecker(warm=warm)
    if warm is not None:
        await warm.aclose()


async def test_a_suggestion_that_compiles_is_kept(checker: CompilerChecker, tmp_path: Path) -> None:
    text, offset = _at(DOC)
    verdict = await judge(checker, "k", text, offset, "vco2 0.3 * kEnv, 220", tmp_path / "a.csd")
    assert verdict.keep and verdict.reason == ""


@pytest.mark.parametrize(
    ("suggestion", "line_offset"),
    [
        ("vcoo2 0.3 * kEnv, 220", 0),  # an opcode Csound does not have
        ('vco2 "loud", 220', 0),  # wrong argument types
        ("vco2 0.3, 220\n  if kEnv > 0.5 then", 99),  # leaves an if open: error at endin
    ],
)
async def test_a_suggestion_adding_a_compiler_error_is_dropped(
    checker: CompilerChecker, tmp_path: Path, suggestion: str, line_offset: int
) -> None:
    text, offset = _at(DOC)
    verdict = await judge(checker, "k", text, offset, suggestion, tmp_path / "a.csd")
    assert not verdict.keep
    cursor_line = text.count("\n", 0, offset) + 1
    if line_offset == 0:
        assert verdict.reason.startswith(f"line {cursor_line}: "), verdict.reason


async def test_an_error_the_buffer_already_had_does_not_count(
    checker: CompilerChecker, tmp_path: Path
) -> None:
    broken = DOC.replace("endin", "endin\ninstr 2\n  aY vcoo2 0.1, 1\n  outs aY, aY\nendin")
    text, offset = _at(broken)
    good = await judge(checker, "k", text, offset, "vco2 0.3, 220\n  aSig *= kEnv",
                       tmp_path / "a.csd")
    assert good.keep, good.reason
    bad = await judge(checker, "k", text, offset, "vco2 0.3, 220\n  aSig = = 1", tmp_path / "a.csd")
    assert not bad.keep


async def test_the_warm_worker_judges_in_milliseconds(tmp_path: Path) -> None:
    if not ctcsound_loads():
        pytest.skip("ctcsound or libcsnd6 not installed")
    warm = WarmCompiler()
    try:
        assert await warm.wait_ready()
        checker = CompilerChecker(warm=warm)
        text, offset = _at(DOC)
        verdicts = [await judge(checker, "k", text, offset, "vco2 0.3, 220", tmp_path / "a.csd")
                    for _ in range(5)]
        assert all(v.keep for v in verdicts)
        # Two compiles each (the second waits for the worker's reset): far below a CLI pair.
        assert min(v.ms for v in verdicts) < 200, [v.ms for v in verdicts]
    finally:
        await warm.aclose()


def _err(line: int, message: str) -> object:
    return diagnostic(line, 0, 1, message, Code.SYNTAX, source=SOURCE_COMPILER)


def test_added_errors_maps_lines_below_the_suggestion_back() -> None:
    plain = [[_err(20, "used before defined")], []]
    # The suggestion on line 10 adds 3 lines: the same error now sits on line 23.
    assert added_errors(plain, [_err(23, "used before defined")], 10, 3) == []
    assert added_errors(plain, [_err(11, "syntax error")], 10, 3) != []  # on its lines
    assert added_errors(plain, [_err(15, "x")], 10, 3) != []  # a new error below it
    assert added_errors([[]], [_err(40, "missing endin")], 10, 3) != []  # broke a clean file


def test_without_block_blanks_the_edited_instrument_only() -> None:
    text = "instr 1\n  a1 vco2 1, 1\n  aX \nendin\ninstr 2\n  a2 vcoo2 1, 1\nendin\n"
    offset = text.index("aX ") + 3
    assert without_block(text, offset).split("\n") == [
        "", "", "", "", "instr 2", "  a2 vcoo2 1, 1", "endin", ""
    ]
    # A block not closed yet: blanked to the orchestra's end; outside a block: the line only.
    open_block = "<CsInstruments>\nsr = 1\ninstr 3\n  aY \n</CsInstruments>\n"
    assert without_block(open_block, open_block.index("aY")).split("\n") == [
        "<CsInstruments>", "sr = 1", "", "", "</CsInstruments>", ""
    ]
    # The block is the outline's: an `instr` inside a block comment is no block.
    commented = "instr 1\n  a1 vco2 1, 1\nendin\n/*\ninstr 9\n  aZ \n*/\n"
    assert without_block(commented, commented.index("aZ")).split("\n") == [
        "instr 1", "  a1 vco2 1, 1", "endin", "/*", "instr 9", "", "*/", ""
    ]
    assert without_block("a = 1\nb\nc = 2", 7) == "a = 1\n\nc = 2"
