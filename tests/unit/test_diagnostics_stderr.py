"""The stderr parser against golden output captured from the installed Csound
(tests/data/stderr)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from csound_assist.diagnostics.model import Code
from csound_assist.diagnostics.stderr import Mapping, clean, parse_stderr

DATA = Path(__file__).resolve().parent.parent / "data" / "stderr"
_spec = importlib.util.spec_from_file_location("regen", DATA / "regen.py")
assert _spec and _spec.loader
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)
CASES = regen.cases()
needs_csound = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")


def _golden(case: Path) -> tuple[str, list[dict[str, object]]]:
    stem = case.with_suffix("")
    raw = Path(f"{stem}.stderr").read_text(encoding="utf-8")
    return raw, json.loads(Path(f"{stem}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_stderr_parses_to_expected_diagnostics(case: Path) -> None:
    raw, expected = _golden(case)
    assert regen.summarize(case, raw) == expected


@needs_csound
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_installed_csound_still_produces_the_golden_diagnostics(case: Path) -> None:
    _raw, expected = _golden(case)
    assert regen.summarize(case, regen.capture(case)) == expected


def _one(case: str) -> dict[str, object]:
    _raw, expected = _golden(DATA / case)
    assert len(expected) == 1, expected
    return expected[0]


def test_syntax_error_lands_on_the_token_with_csd_line_numbers() -> None:
    d = _one("misspelled_opcode.csd")
    assert d["code"] == Code.SYNTAX and d["text"] == "vcoo2" and d["range"][0] == 10


def test_argument_types_message_shows_the_types_found() -> None:
    d = _one("output_rate.csd")
    assert d["code"] == Code.ARG_TYPES and d["text"] == "vco2"
    assert "i vco2 cc" in str(d["message"])


def test_used_before_defined_finds_the_variable_although_csound_reports_the_line_above() -> None:
    raw, _ = _golden(DATA / "used_before_defined_orc.orc")
    assert "Line 8" in raw  # Csound's own (1-based) line is the line above the use
    d = _one("used_before_defined_orc.orc")
    assert d["text"] == "kAmp" and d["range"][0] == 8


def test_missing_include_points_at_the_include_file_name() -> None:
    d = _one("missing_include.csd")
    assert d["code"] == Code.INCLUDE and d["text"] == "nothere.udo"


def test_nested_include_error_is_shown_on_the_include_line_with_related_location() -> None:
    case = DATA / "include" / "nested_include.orc"
    raw, _ = _golden(case)
    text = case.read_text()
    [d] = parse_stderr(raw, text, Mapping(folder=case.parent))
    assert text.split("\n")[d.range.start.line].startswith('#include "c.inc"')
    assert "b.udo" in d.message and "line 3" in d.message
    assert d.related_information
    assert d.related_information[0].location.uri.endswith("include/b.udo")
    assert d.related_information[0].location.range.start.line == 2


def test_ansi_and_nul_bytes_are_stripped() -> None:
    raw, _ = _golden(DATA / "ansi_unbalanced_paren.csd")
    assert "\x1b[" in raw and "\x00" in raw
    assert "\x1b" not in clean(raw) and "\x00" not in clean(raw)
    assert _one("ansi_unbalanced_paren.csd") == _one("unbalanced_paren.csd")


def test_unrecognised_error_becomes_a_whole_file_diagnostic_with_the_raw_text() -> None:
    text = "instr 1\nendin\n"
    raw = "error: something entirely new happened here\nParsing failed due to invalid input!\n"
    [d] = parse_stderr(raw, text)
    assert d.message == "error: something entirely new happened here"
    assert d.code == Code.COMPILER and d.severity == lsp.DiagnosticSeverity.Error
    assert (d.range.start.line, d.range.end.line) == (0, 2)


def test_score_complaints_are_warnings_in_the_score() -> None:
    raw, expected = _golden(DATA / "score_error.csd")
    assert all(d["code"] == Code.SCORE and d["severity"] == 2 for d in expected)
    assert expected and expected[0]["text"] == "x"


def test_clean_file_gives_no_diagnostics() -> None:
    _raw, expected = _golden(DATA / "clean.csd")
    assert expected == []
