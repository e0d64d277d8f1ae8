"""Csound-aware stops and filters for inline suggestions."""

from csound_assist.ai.context import cursor_context
from csound_assist.ai.postfilter import (
    block_end,
    finalize,
    repeats_suffix,
    stop_point,
    trim_suffix_overlap,
    unknown_opcodes,
    used_opcodes,
)
from tests.helpers import csd

KNOWN = {
    "oscili",
    "outs",
    "out",
    "xout",
    "xin",
    "moogladder",
    "linen",
    "pan2",
    "vco2",
    "abs",
    "prints",
    "madsr",
    "expon",
    "poscil",
    "init",
}

# A template: `{cursor}` and `{score}` are filled in by ctx_at.
CSD = csd("""\
instr 1
  asig oscili 0.5, 440
{cursor}
endin""", sco="i 1 0 1\n{score}", options=None)


def ctx_at(template: str, **fill: str):
    text = template.format(cursor=fill.get("cursor", "|"), score=fill.get("score", ""))
    offset = text.index("|")
    return cursor_context(text.replace("|", "", 1), offset)


def test_stop_at_end_of_current_instrument():
    ctx = ctx_at(CSD)
    completion = "  outs asig, asig\nendin\n\ninstr 2\n  a1 oscili 1, 2\nendin\n"
    cut = stop_point(completion, ctx)
    assert completion[:cut] == "  outs asig, asig\nendin\n"


def test_stop_after_a_whole_block_written_at_top_level():
    assert block_end("instr 2\n a1 oscili 1, 1\nendin\ninstr 3\n") == len(
        "instr 2\n a1 oscili 1, 1\nendin\n"
    )


def test_if_then_endif_balance_is_respected():
    completion = "if kx > 0 then\n  kx = 1\nendif\nendin\n"
    assert block_end(completion, already_open=1) == len(completion)
    assert block_end("kx = 1\nendif\n", already_open=0) == len("kx = 1\n")


def test_inner_loops_are_balanced_not_stops():
    text = "while ki < 4 do\n ki += 1\nod\n"
    assert block_end(text) is None
    assert block_end(text + "outs a1, a1\nendin\nmore\n", already_open=1) == len(
        text + "outs a1, a1\nendin\n"
    )


def test_mid_line_completion_stops_at_line_end():
    ctx = ctx_at(CSD, cursor="  aout moogladder |")
    assert stop_point("asig, 1000, 0.5\n  outs aout, aout\n", ctx) == len("asig, 1000, 0.5")


def test_score_line_stops_at_line_end():
    ctx = ctx_at(CSD, cursor="", score="|")
    assert ctx.section == "score"
    assert stop_point("i 1 1 2\ni 1 3 2\n", ctx) == len("i 1 1 2")


def test_repeats_suffix():
    assert repeats_suffix("endin", "\nendin\n</CsInstruments>")
    assert repeats_suffix("   ", "anything")
    assert not repeats_suffix("outs asig, asig", "\nendin\n")


def test_trim_suffix_overlap():
    assert trim_suffix_overlap("abs(kx)", ")") == "abs(kx"
    assert trim_suffix_overlap("440", "") == "440"


def test_used_opcodes_statement_forms():
    assert used_opcodes("a1, a2 pan2 asig, 0.5", KNOWN) == {"pan2"}
    assert used_opcodes("outs a1, a2", KNOWN) == {"outs"}
    assert used_opcodes("xout aout", KNOWN) == set()  # xout is a keyword-like opcode
    assert used_opcodes("kx = abs(ky) + 1", KNOWN) == {"abs"}
    assert used_opcodes('prints "a; b"  ; comment oscili', KNOWN) == {"prints"}
    assert used_opcodes("loop:", KNOWN) == set()


def test_unknown_opcodes():
    assert unknown_opcodes("asig oscilx 0.5, 440", KNOWN) == {"oscilx"}
    assert unknown_opcodes("asig MySynth 440", KNOWN, defined={"MySynth"}) == set()
    assert unknown_opcodes("out asig", KNOWN) == set()


def test_loop_keywords_are_not_unknown_opcodes():
    # Csound closes `until … do` with `od` or `enduntil`; neither is an opcode to look up.
    loop = "kx = 0\nuntil kx > 3 do\n  kx = kx + 1\nenduntil"
    assert unknown_opcodes(loop, KNOWN) == set()


def test_compound_assignments_are_assignments():
    for op in ("+=", "-=", "*=", "/="):
        assert unknown_opcodes(f"kx {op} 1", KNOWN) == set()
        assert used_opcodes(f"kx {op} abs(ky)", KNOWN) == {"abs"}


def test_finalize_drops_invented_opcode():
    ctx = ctx_at(CSD)
    assert finalize("  aout superfilter asig, 1000\n", ctx, KNOWN) == ""
    assert finalize("  outs asig, asig\n", ctx, KNOWN) == "  outs asig, asig"


def test_finalize_drops_repeat_of_following_line():
    ctx = ctx_at(CSD)
    assert finalize("endin\n", ctx, KNOWN) == ""


def test_used_opcodes_reads_lines_as_the_outline_does() -> None:
    """The post-filter's statement reading is the outline's line reader: `in` is an opcode where
    it stands as one, never the `for … in` keyword; `kon trigger …` has output kon."""
    from csound_assist.ai.postfilter import used_opcodes

    known = {"in", "trigger", "outs", "init", "print"}
    assert used_opcodes("avoice in\n", known) == {"in"}
    assert used_opcodes("for note:i in notes do\n  print note\nod\n", known) == {"print"}
    assert used_opcodes("kon trigger gkplay, 0, 0\nindex init 0\n", known) == {"trigger", "init"}
    assert used_opcodes("outz a1, a1\n") == {"outz"}  # no table: the line's shape says
