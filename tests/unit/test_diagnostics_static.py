"""Static checks and their quick fixes, on small documents; the fix property against real csound."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp

from csound_assist.diagnostics import (
    FIX_ALL_KIND,
    Code,
    apply_edits,
    code_actions,
    fix_all,
    fixes_of,
    static_checks,
)
from csound_assist.diagnostics.mutate import MUTATIONS
from csound_assist.diagnostics.opcodes import default_table
from tests.helpers import csd

ROOT = Path(__file__).resolve().parent.parent.parent
needs_csound = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")

def diags_of(text: str, code: Code, path: str = "t.csd") -> list[lsp.Diagnostic]:
    return [d for d in static_checks(text, Path(path)) if d.code == code]


def under(text: str, d: lsp.Diagnostic) -> str:
    line = text.split("\n")[d.range.start.line]
    return line[d.range.start.character : d.range.end.character]


def preferred(d: lsp.Diagnostic) -> str:
    [fix] = [f for f in fixes_of(d) if f.preferred]
    return fix.title


def compiles(text: str, tmp_path: Path, name: str = "t.csd") -> bool:
    (tmp_path / name).write_text(text)
    proc = subprocess.run(
        ["csound", "--syntax-check-only", name],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    return proc.returncode == 0


GOOD = "instr 1\n  aSig vco2 0.2, 440\n  outs aSig, aSig\nendin"


def test_clean_file_has_no_problems() -> None:
    text = csd(GOOD)
    assert [
        d for d in static_checks(text, Path("t.csd")) if d.severity != lsp.DiagnosticSeverity.Hint
    ] == []


def test_1_missing_endin_inserted_after_the_block() -> None:
    text = csd("instr 1\n  aSig vco2 0.2, 440\n  outs aSig, aSig\n")
    [d] = diags_of(text, Code.MISSING_END)
    assert under(text, d) == "instr 1" and preferred(d) == "Insert 'endin'"
    fixed = fix_all(text, [d])
    assert "  outs aSig, aSig\nendin\n" in fixed and diags_of(fixed, Code.MISSING_END) == []


def test_1_missing_endop_before_the_next_instr() -> None:
    text = csd("opcode Gain, a, a\n  ain xin\n  xout ain\n\ninstr 1\nendin")
    [d] = diags_of(text, Code.MISSING_END)
    assert "opcode Gain" in under(text, d)
    assert "  xout ain\nendop\n\ninstr 1" in fix_all(text, [d])


def test_2_missing_header_inserts_only_the_missing_lines() -> None:
    text = csd(GOOD, header="sr = 48000\n")
    [d] = diags_of(text, Code.MISSING_HEADER)
    assert "ksmps, nchnls, 0dbfs" in d.message
    fixed = fix_all(text, [d])
    assert "sr = 48000\nksmps = 32\nnchnls = 2\n0dbfs = 1\n" in fixed
    assert "sr = 44100" not in fixed


def test_3_unknown_opcode_suggests_the_nearest_and_prefers_it_when_unambiguous() -> None:
    text = csd(
        "instr 1\n  aSig vco2 0.2, 440\n  aF moogladdr aSig, 1000, 0.5\n  outs aF, aF\nendin"
    )
    [d] = diags_of(text, Code.UNKNOWN_OPCODE)
    assert under(text, d) == "moogladdr" and "did you mean 'moogladder'" in d.message
    assert preferred(d) == "Replace with 'moogladder'"


def test_3_ambiguous_misspelling_offers_choices_without_a_preferred_one() -> None:
    text = csd("instr 1\n  foo 1, 2\nendin")
    [d] = diags_of(text, Code.UNKNOWN_OPCODE)
    assert len(fixes_of(d)) > 1 and not any(f.preferred for f in fixes_of(d))


def test_3_udo_names_and_documented_opcodes_are_known() -> None:
    text = csd(
        "opcode Gain, a, a\n  ain xin\n  xout ain\nendop\ninstr 1\n"
        "  a1 vco2 0.1, 440\n  a2 Gain a1\n  outs a2, a2\nendin"
    )
    assert diags_of(text, Code.UNKNOWN_OPCODE) == []


def test_4_output_rate_renames_the_variable_throughout_the_instrument() -> None:
    orc = "instr 1\n  iSig vco2 0.2, 440\n  outs iSig, iSig\nendin\ninstr 2\n  iSig = 1\nendin"
    text = csd(orc)
    [d] = diags_of(text, Code.OUTPUT_RATE)
    assert under(text, d) == "iSig" and "a-rate" in d.message
    fixed = fix_all(text, [d])
    assert "aSig vco2 0.2, 440\n  outs aSig, aSig" in fixed and "  iSig = 1" in fixed


def test_5_undefined_table_adds_an_f_statement_or_offers_poscil() -> None:
    text = csd("instr 1\n  aSig oscili 0.2, 440, 7\n  outs aSig, aSig\nendin")
    [d] = diags_of(text, Code.UNDEFINED_TABLE)
    assert under(text, d) == "7"
    titles = [f.title for f in fixes_of(d)]
    assert any("poscil" in t for t in titles)
    fixed = fix_all(text, [d])
    assert "<CsScore>\nf 7 0 16384 10 1\n" in fixed and diags_of(fixed, Code.UNDEFINED_TABLE) == []
    [alt] = [f for f in fixes_of(d) if "poscil" in f.title]
    assert "aSig poscil 0.2, 440\n" in apply_edits(text, list(alt.edits))


def test_5_tables_from_ftgen_and_score_count_as_defined() -> None:
    text = csd(
        "gi1 ftgen 3, 0, 1024, 10, 1\ninstr 1\n  a1 oscili 0.2, 440, 3\n"
        "  a2 oscili 0.2, 440, 4\n  outs a1, a2\nendin",
        sco="f 4 0 1024 10 1\ni 1 0 1",
    )
    assert diags_of(text, Code.UNDEFINED_TABLE) == []


def test_6_zero_in_expseg_becomes_0_001() -> None:
    text = csd(
        "instr 1\n  kEnv expseg 0, p3, 1\n  aSig vco2 kEnv*0.2, 440\n  outs aSig, aSig\nendin"
    )
    [d] = diags_of(text, Code.EXP_ZERO)
    assert under(text, d) == "0"
    assert "expseg 0.001, p3, 1" in fix_all(text, [d])


def test_6_durations_may_be_zero_but_levels_may_not_change_sign() -> None:
    text = csd("instr 1\n  k1 expseg 1, 0, 2, p3, -1\n  printk 1, k1\nendin")
    [d] = diags_of(text, Code.EXP_ZERO)
    assert under(text, d) == "-1" and "sign" in d.message


def test_7_amplitude_without_0dbfs() -> None:
    text = csd(GOOD, header="sr = 44100\nksmps = 32\nnchnls = 2\n")
    [d] = diags_of(text, Code.MISSING_0DBFS)
    assert under(text, d) == "0.2"
    assert "nchnls = 2\n0dbfs = 1\n" in fix_all(text, [d])


def test_8_score_pfields_and_undefined_instruments() -> None:
    orc = "instr 1\n  aSig vco2 p4, p5\n  outs aSig, aSig\nendin"
    text = csd(orc, sco="i 1 0 1 0.2\ni 2 0 1")
    [few] = diags_of(text, Code.SCORE_PFIELDS)
    assert "reads p5" in few.message and under(text, few).startswith("i 1 0 1 0.2")
    [undefined] = diags_of(text, Code.SCORE_UNDEFINED_INSTR)
    assert under(text, undefined) == "2"


def test_8_named_instruments_and_carried_pfields_are_fine() -> None:
    orc = "instr Bell\n  aSig vco2 p4, 440\n  outs aSig, aSig\nendin"
    text = csd(orc, sco='i "Bell" 0 1 0.2\ni "Bell" 1 1')
    assert diags_of(text, Code.SCORE_PFIELDS) == diags_of(text, Code.SCORE_UNDEFINED_INSTR) == []


def test_9_outs_with_mono_nchnls() -> None:
    text = csd(GOOD, header="sr = 44100\nksmps = 32\nnchnls = 1\n0dbfs = 1\n")
    [d] = diags_of(text, Code.OUTPUT_ARITY)
    assert under(text, d) == "outs" and "nchnls = 1" in d.message
    assert "nchnls = 2\n" in fix_all(text, [d])


def test_10_used_before_assigned_and_unused() -> None:
    text = csd("instr 1\n  aSig vco2 kAmp, 440\n  kUnused = 3\n  outs aSig, aSig\nendin")
    [before] = diags_of(text, Code.USED_BEFORE_ASSIGNED)
    assert under(text, before) == "kAmp"
    [unused] = diags_of(text, Code.UNUSED_VARIABLE)
    assert under(text, unused) == "kUnused"
    assert unused.severity == lsp.DiagnosticSeverity.Hint
    assert unused.tags == [lsp.DiagnosticTag.Unnecessary]


def test_11_misplaced_closers_and_xin_outside_a_udo() -> None:
    text = csd("opcode Foo, a, a\n  ain xin\n  xout ain\nendin\ninstr 1\n  a1 xin\nendop")
    found = diags_of(text, Code.MISPLACED)
    assert [under(text, d) for d in found] == ["xin", "endin", "endop"] or sorted(
        under(text, d) for d in found
    ) == ["endin", "endop", "xin"]
    fixed = fix_all(text, found)
    assert "  xout ain\nendop\ninstr 1" in fixed and fixed.rstrip().count("endin") == 1


def test_11_unclosed_if() -> None:
    text = csd("instr 1\n  if p4 > 0 then\n    k1 = 1\nendin")
    [d] = diags_of(text, Code.MISSING_END)
    assert under(text, d) == "if" and "endif" in d.message


def test_code_actions_are_quickfixes_with_one_fix_all() -> None:
    text = csd("instr 1\n  kEnv expseg 0, p3, 1\n  iSig vco2 0.2, 440\n  outs iSig*kEnv, iSig\n")
    diags = static_checks(text, Path("t.csd"))
    actions = code_actions("file:///t.csd", diags)
    quick = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix]
    [every] = [a for a in actions if a.kind == FIX_ALL_KIND]
    assert quick and all(a.diagnostics and a.edit for a in quick)
    assert any(a.is_preferred for a in quick)
    assert every.edit is not None and every.edit.changes is not None
    assert len(every.edit.changes["file:///t.csd"]) >= 3
    assert code_actions("file:///t.csd", diags, want=[FIX_ALL_KIND]) == [every]


def test_a_broken_check_is_skipped_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    from csound_assist.diagnostics import static

    def boom(_ctx: object) -> list[lsp.Diagnostic]:
        raise RuntimeError("bug")

    monkeypatch.setattr(static, "CHECKS", [boom, *static.CHECKS])
    text = csd("instr 1\n  aSig vco2 0.2, 440\n  outs aSig, aSig\n")
    assert [d.code for d in static_checks(text, Path("t.csd"))] == [Code.MISSING_END]


def test_garbage_input_never_raises() -> None:
    for text in [
        "",
        "\x00\x01",
        "<CsoundSynthesizer>",
        "instr",
        '"unterminated',
        "/* open",
        "<CsInstruments>\nendin\nendop\nod\nendif\n",
        "a,b,c = = = ,,,",
    ]:
        static_checks(text, Path("x.csd"))
        static_checks(text, Path("x.orc"))


# --- the property: the preferred fix of a file's only problem makes csound pass -----------------

BASES = [ROOT / "examples" / "clean-synth.csd", ROOT / "examples" / "fm-bell.csd"]
MANUAL = Path("/usr/share/doc/csound-doc/html/examples")
BASES += [
    MANUAL / n
    for n in (
        "moogladder.csd",
        "expseg.csd",
        "oscili.csd",
        "vco2.csd",
        "poscil.csd",
        "buzz.csd",
        "linen.csd",
        "reverb.csd",
    )
]
BASES = [b for b in BASES if b.exists()]
FIXABLE = [
    name for name in MUTATIONS if name not in ("unbalanced parenthesis", "undefined variable")
]


@needs_csound
@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(base=st.sampled_from(BASES), kind=st.sampled_from(FIXABLE), seed=st.integers(0, 2**16))
def test_preferred_fix_of_the_only_problem_makes_csound_pass(
    base: Path, kind: str, seed: int, tmp_path: Path
) -> None:
    from hypothesis import assume

    text = base.read_text(encoding="utf-8", errors="replace")
    assume(compiles(text, tmp_path, base.name))
    mutant = MUTATIONS[kind](text, random.Random(seed), default_table())
    assume(mutant is not None)
    assert mutant is not None
    diags = static_checks(mutant.text, base)
    planted = [d for d in diags if d.code in mutant.codes]
    assert planted, f"{kind} not detected"
    fixed = fix_all(mutant.text, planted)
    assert compiles(fixed, tmp_path, base.name), fixed
    assert [d for d in static_checks(fixed, base) if d.code in mutant.codes] == []


def test_3_unknown_function_inside_an_expression() -> None:
    text = csd("instr 1\n  kx = abss(p4) + 1\n  printk 1, kx\nendin")
    [d] = diags_of(text, Code.UNKNOWN_OPCODE)
    assert under(text, d) == "abss" and d.message.startswith("Unknown function 'abss'")
    assert "kx = abs(p4) + 1" in fix_all(text, [d])
