"""Cursor context: sections, header, enclosing block, LSP offsets, auto-trigger, debounce."""

from csound_assist.ai.complete import AdaptiveDebounce, should_auto_trigger
from csound_assist.ai.context import (
    csd_header,
    cursor_context,
    enclosing_block,
    offset_at,
    section_at,
)

CSD = """<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 48000
ksmps = 64
giSine ftgen 0, 0, 8192, 10, 1

instr 1
  a1 poscil 0.3, p4, giSine
  outs a1, a1
endin

instr 2
  k1 line 0, p3, 1
endin
</CsInstruments>
<CsScore>
i 1 0 1 440
</CsScore>
</CsoundSynthesizer>
"""


def test_sections():
    assert section_at(CSD, CSD.index("-odac")) == "options"
    assert section_at(CSD, CSD.index("a1 poscil")) == "orchestra"
    assert section_at(CSD, CSD.index("i 1 0 1")) == "score"
    assert section_at("instr 1\nendin\n", 3) == "orchestra"


def test_header_is_what_precedes_the_first_instrument():
    header = csd_header(CSD)
    assert "sr = 48000" in header and "giSine" in header and "instr" not in header


def test_enclosing_block():
    inside = CSD.index("outs a1")
    assert enclosing_block(CSD, inside).startswith("instr 1")
    between = CSD.index("instr 2") - 1
    assert enclosing_block(CSD, between) == ""


def test_offset_at_counts_utf16_units():
    text = "a😀b\nxyz"
    assert offset_at(text, 0, 3) == 2  # the emoji is two UTF-16 units
    assert offset_at(text, 1, 2) == text.index("z")
    assert offset_at(text, 9, 0) == len(text)


def test_auto_trigger_rule():
    line = "  a1 poscil 0.3, p4, giSine"
    offset = CSD.index(line) + len("  a1 ")
    assert not should_auto_trigger(cursor_context(CSD, offset))  # > 8 chars to the right
    assert should_auto_trigger(cursor_context(CSD, CSD.index(line) + len(line)))
    assert not should_auto_trigger(cursor_context(CSD, CSD.index("-odac")))


def test_adaptive_debounce_stays_in_range_and_adapts():
    fast, slow = AdaptiveDebounce(), AdaptiveDebounce()
    t = 0.0
    for _ in range(20):
        t += 0.05
        fast_delay = fast.next_delay(t)
    t = 0.0
    for _ in range(20):
        t += 0.8
        slow_delay = slow.next_delay(t)
    assert 150 <= slow_delay < fast_delay <= 350
