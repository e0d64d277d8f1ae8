"""Malformed CSD tags: a static diagnostic that says what to change, and a quick fix that makes
the real csound accept the file (where csound itself says "too many arguments" at 1:1, or skips
the section silently)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csound_assist.diagnostics import fix_all, fixes_of, static_checks
from csound_assist.diagnostics.compiler import run_check
from csound_assist.diagnostics.tags import canonical_tag, tag_problems
from tests.helpers import csd

needs_csound = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")

GOOD = csd("instr 1\n  asig oscili 0.2, 440\n  outs asig, asig\nendin")
TAG_CODES = {"csd-tag", "csd-tag-line", "xml-block"}

# (name, broken text, code expected, what csound says about the broken text)
CASES = [
    (
        "one-line options",
        GOOD.replace("<CsOptions>\n-odac\n</CsOptions>", "<CsOptions>-iadc -odac</CsOptions>"),
        "csd-tag-line",
        "too many arguments",
    ),
    (
        "lower-case score",
        GOOD.replace("<CsScore>", "<csscore>").replace("</CsScore>", "</csscore>"),
        "csd-tag",
        "scoreless operation",
    ),
    (
        "misspelled instruments",
        GOOD.replace("CsInstruments", "CsInstrument"),
        "csd-tag",
        "unknown CSD tag: <CsInstrument>",
    ),
    (
        "closing tag after code",
        GOOD.replace("endin\n\n</CsInstruments>", "endin</CsInstruments>").replace(
            "endin\n</CsInstruments>", "endin</CsInstruments>"
        ),
        "csd-tag-line",
        "Missing end tag </CsInstruments>",
    ),
    (
        "xml instrument",
        GOOD.replace("instr 1", "<instr 1>").replace("endin", "</instr>"),
        "xml-block",
        "unexpected S_LT",
    ),
    ("blank attributes", GOOD.replace("<CsScore>", "<CsScore >"), "csd-tag", "Missing program"),
]


def tag_diagnostics(text: str) -> list:
    return [d for d in static_checks(text, "t.csd") if d.code in TAG_CODES]


@needs_csound
@pytest.mark.parametrize(("name", "text", "code", "csound_says"), CASES, ids=[c[0] for c in CASES])
async def test_diagnostic_and_fix_with_real_csound(
    name: str, text: str, code: str, csound_says: str
) -> None:
    assert text != GOOD, name
    broken = await run_check(text, Path("t.csd"))
    assert csound_says in broken.output  # the problem is real, and this is how csound shows it
    diags = tag_diagnostics(text)
    assert diags and {d.code for d in diags} == {code}
    assert all(d.severity == 1 for d in diags)
    assert all(fixes_of(d) and fixes_of(d)[0].preferred for d in diags)
    fixed = fix_all(text, diags)
    result = await run_check(fixed, Path("t.csd"))
    assert [d for d in result.diagnostics if d.severity == 1] == [], result.output
    assert "unknown CSD tag" not in result.output and "scoreless" not in result.output
    assert tag_diagnostics(fixed) == []


def test_one_line_options_message_says_what_to_change() -> None:
    text = CASES[0][1]
    (d,) = tag_diagnostics(text)
    assert d.range.start.line == 1
    assert "too many arguments" in d.message and "own" in d.message
    assert "between <CsOptions> and </CsOptions>" in d.message


def test_root_tag_case_is_a_warning() -> None:
    # csound 6.18 accepts <csoundSynthesizer>; the fix is still offered.
    text = GOOD.replace("<CsoundSynthesizer>", "<csoundSynthesizer>")
    (d,) = tag_diagnostics(text)
    assert d.severity == 2 and fixes_of(d)
    assert fix_all(text, [d]) == GOOD


def test_good_file_and_comparisons_have_no_tag_problems() -> None:
    assert tag_problems(GOOD) == []
    code = GOOD.replace(
        "  outs asig, asig",
        "  if p4 < 1 && p5 > 2 then\n    asig = 0\n  endif\n  outs asig, asig ; <csscore>",
    )
    assert tag_problems(code) == []


def test_canonical_tag() -> None:
    assert canonical_tag("csInstruments") == "CsInstruments"
    assert canonical_tag("CsOption") == "CsOptions"
    assert canonical_tag("CsoundSynthesiser") == "CsoundSynthesizer"
    assert canonical_tag("orchestra") == "CsInstruments"
    assert canonical_tag("instr") is None
    assert canonical_tag("kx") is None
    assert canonical_tag("CsWhatever") is None


@needs_csound
async def test_check_folds_csounds_unplaced_complaint_into_the_tag_diagnostic(
    tmp_path: Path,
) -> None:
    from csound_assist.diagnostics import check_document

    path = tmp_path / "oneline.csd"
    path.write_text(CASES[0][1], encoding="utf-8")
    diags = await check_document(path.read_text(encoding="utf-8"), path)
    errors = [d for d in diags if d.severity == 1]
    assert [d.code for d in errors] == ["csd-tag-line"]
    assert errors[0].range.start.line == 1
    assert "(csound: Csound Command ERROR:" in errors[0].message
