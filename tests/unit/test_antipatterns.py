"""The AI anti-pattern checks (diagnostics/antipatterns.py, ANTIPATTERNS.md) on real files:
tests/data/antipatterns/<code>.csd has the mistake on the line marked `; expect: <code>`, good.csd
the right form of each. Preferred fixes remove the diagnostic and make the file compile."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from csound_assist.diagnostics import (
    Code,
    CompilerChecker,
    apply_edits,
    csound7,
    fixes_of,
    static_checks,
)
from csound_assist.diagnostics.opcodes import default_table

DATA = Path(__file__).resolve().parent.parent / "data" / "antipatterns"
CASES = sorted(p for p in DATA.glob("*.csd") if p.stem != "good")
CATALOGUE = {Code.UDO_HEADER, Code.CPSMIDI_ARGS, Code.SEGMENT_COUNT, Code.UDO_NO_XIN,
             Code.XOUT_COUNT, Code.GLOBAL_ACCUMULATOR, Code.RELEASE_P3, Code.CHANNEL_NAME,
             Code.NEW_UDO_XIN, Code.TYPE_SUFFIX}
MANUAL_EXAMPLES = Path("/usr/share/doc/csound-doc/html/examples")
DOC = Path(__file__).resolve().parents[2] / "server" / "csound_assist" / "diagnostics" / \
    "ANTIPATTERNS.md"


def _marked(text: str) -> list[tuple[int, str]]:
    return [(i, m.group(1)) for i, line in enumerate(text.split("\n"))
            if (m := re.search(r";\s*expect:\s*([\w-]+)", line))]


def _compiles(text: str, tmp_path: Path) -> list[str]:
    """The compiler's errors on `text` (a CSD), through the real csound."""
    import asyncio

    path = tmp_path / "fixed.csd"
    path.write_text(text)
    diags = asyncio.run(CompilerChecker().check(str(path), text, path))
    return [d.message for d in diags if d.severity == lsp.DiagnosticSeverity.Error]


def test_every_code_has_a_case_and_a_documented_row() -> None:
    assert {p.stem for p in CASES} == {str(c) for c in CATALOGUE}
    doc = DOC.read_text()
    rows = re.findall(r"^\| (\d+b?) \|", doc, re.MULTILINE)
    assert [r for r in rows if r.isdigit()] == [str(i) for i in range(1, 19)]  # all 18 items
    for code in CATALOGUE:
        assert f"`{code}`" in doc, code


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_the_mistake_is_found_where_marked(path: Path) -> None:
    text = path.read_text()
    expected = _marked(text)
    assert expected and all(code == path.stem for _, code in expected)
    diags = static_checks(text, path)
    found = {(d.range.start.line, d.code) for d in diags if d.code in CATALOGUE}
    assert found == set(expected)
    for d in diags:
        if d.code in CATALOGUE:
            assert len(d.message) > 40 and ("use" in d.message or "write" in d.message
                                            or "add" in d.message or "delete" in d.message
                                            or "give" in d.message or "clear" in d.message), \
                f"{d.code}: the message says what to do"


def test_the_right_forms_raise_nothing(tmp_path: Path) -> None:
    text = (DATA / "good.csd").read_text()
    diags = static_checks(text, DATA / "good.csd")
    assert [(d.range.start.line + 1, d.code, d.message) for d in diags] == []
    if shutil.which("csound"):
        assert _compiles(text, tmp_path) == []


FIXED = ["udo-header", "cpsmidi-args", "global-accumulator", "type-suffix", "new-udo-xin",
         "channel-name"]


@pytest.mark.parametrize("code", FIXED)
def test_the_fix_removes_the_diagnostic_and_compiles(code: str, tmp_path: Path) -> None:
    path = DATA / f"{code}.csd"
    text = path.read_text()
    (diag, *_) = [d for d in static_checks(text, path) if d.code == code]
    fixes = fixes_of(diag)
    assert fixes, f"{code} has a fix"
    fix = next((f for f in fixes if f.preferred), fixes[0])
    fixed = apply_edits(text, list(fix.edits))
    assert fixed != text
    assert [d.code for d in static_checks(fixed, path) if d.code in CATALOGUE] == []
    if not shutil.which("csound"):
        return
    if code == "new-udo-xin" and csound7.installed_major(default_table().version) != 7:
        return  # Csound 7 syntax: a Csound 6 cannot compile it
    assert _compiles(fixed, tmp_path) == []


def test_fixes_deduced_from_the_body() -> None:
    text = (DATA / "udo-header.csd").read_text()
    (diag,) = [d for d in static_checks(text, "x.csd") if d.code == Code.UDO_HEADER]
    (fix,) = fixes_of(diag)
    assert fix.title == "Declare it as 'opcode Brighten, a, ak'"
    (acc,) = [d for d in static_checks((DATA / "global-accumulator.csd").read_text(), "x.csd")
              if d.code == Code.GLOBAL_ACCUMULATOR]
    (clear,) = fixes_of(acc)
    assert clear.edits[0].new_text == "  clear gaVerb\n"


def test_segment_counts_by_opcode() -> None:
    def codes(line: str) -> list[str]:
        text = f"instr 1\n  {line}\n  out a1\nendin\n"
        return [d.code for d in static_checks(text, "x.orc") if d.code == Code.SEGMENT_COUNT]

    assert codes("k1 linseg 0, 1, 1") == [] and codes("k1 linseg 0, 1, 1, 1") != []
    assert codes("k1 transeg 0, 1, -2, 1") == [] and codes("k1 transeg 0, 1, 1") != []
    assert codes("k1 expsegr 1, 0.1, 0.5, 0.2, 0.01") == []
    assert codes("k1 linseg $ENV") == []  # a macro may expand to any count


@pytest.mark.slow
def test_manual_examples_raise_no_catalogue_errors() -> None:
    examples = sorted(MANUAL_EXAMPLES.glob("*.csd"))
    if not examples:
        pytest.skip("Csound manual examples not installed")
    found = []
    for path in examples:
        for d in static_checks(path.read_text(errors="replace"), path):
            if d.code in CATALOGUE and d.severity != lsp.DiagnosticSeverity.Hint:
                found.append((path.name, d.range.start.line + 1, d.code))
    assert found == []


def test_xout_counts_in_new_style_udos() -> None:
    def codes(header: str, xout: str) -> list[str]:
        text = f"struct Note pitch:i\n{header}\n  {xout}\nendop\n"
        return [d.code for d in static_checks(text, "x.orc") if d.code == Code.XOUT_COUNT]

    assert codes("opcode Pair(x:k):(a,a)", "xout aL") == [Code.XOUT_COUNT]
    assert codes("opcode Pair(x:k):(a,a)", "xout aL, aR") == []
    assert codes("opcode Make(p:i):Note", "xout n") == []  # one struct, not four letters
    assert codes("opcode Say(msg:S):void", "xout msg") == [Code.XOUT_COUNT]
