"""The normaliser between the model and the compiler, on broken answers shaped like what small
models really write (issue 14: Qwen2.5-Coder-1.5B's XML thinking, lower-case tags, one-line
<CsOptions>, bare orchestras, missing headers), each checked with the real csound."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csound_assist.ai.normalize import normalize_csd
from csound_assist.diagnostics.compiler import run_check

needs_csound = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")


async def compile_errors(text: str) -> tuple[list[str], str]:
    result = await run_check(text, Path("answer.csd"))
    errors = [d.message for d in result.diagnostics if d.severity == 1]
    return errors, result.output


XML_ANSWER = """\
Sure! Here is a Csound file that plays a plucked-string arpeggio:

```csound
<csoundSynthesizer>
<CsOptions>-iadc -odac</CsOptions>
<CsInstruments>
<instr 1>
  iamp = p4
  ifreq = cpspch(p5)
  asig pluck iamp, ifreq, ifreq, 0, 1
  outs asig, asig
</instr>
</CsInstruments>
<CsScore>
i 1 0 1 0.5 8.00
i 1 0.5 1 0.5 8.04
</CsScore>
</csoundSynthesizer>
```

The `pluck` opcode implements Karplus-Strong.
"""

BARE_ORCHESTRA = """\
```
instr 2
  kenv linseg 0, 0.05, 0.4, p3 - 0.05, 0
  asig vco2 kenv, p4
  outs asig, asig
endin
i 2 0 2 220
i 2 2 2 330
```
"""

# XML open tag, proper Csound close (the shape the issue quotes), lower-case sections,
# a closing tag after code, no header and no score at all.
MIXED = """\
<CsoundSynthesizer>
<csoptions>
-odac
</csoptions>
<csinstruments>
<instr Bell>
  aenv expon 0.5, p3, 0.001
  asig oscili aenv, 660
  outs asig, asig
endin</csinstruments>
</CsoundSynthesizer>
"""

# Text around the document and the closing tag missing: the model ran out of tokens.
TRUNCATED = """\
Here you go:
<CsoundSynthesizer>
<CsInstruments>
sr = 48000
ksmps = 64
nchnls = 2
0dbfs = 1
instr 1
  asig noise 0.2, 0
  outs asig, asig
endin
</CsInstruments>
<CsScore>
i 1 0 1
"""


@needs_csound
@pytest.mark.parametrize(
    "answer", [XML_ANSWER, BARE_ORCHESTRA, MIXED, TRUNCATED], ids=["xml", "bare", "mixed", "cut"]
)
async def test_broken_answers_compile_after_normalising(answer: str) -> None:
    before, _ = await compile_errors(answer)
    assert before, "the raw answer must fail: otherwise the example shows nothing"
    fixed = normalize_csd(answer)
    assert fixed.changed
    errors, output = await compile_errors(fixed.text)
    assert errors == [], (fixed.text, output)
    assert "unknown CSD tag" not in output and "scoreless" not in output
    assert "```" not in fixed.text


def test_xml_answer_in_detail() -> None:
    fixed = normalize_csd(XML_ANSWER)
    lines = fixed.text.splitlines()
    assert lines[0] == "<CsoundSynthesizer>" and lines[-1] == "</CsoundSynthesizer>"
    assert lines[1:4] == ["<CsOptions>", "-iadc -odac", "</CsOptions>"]
    assert "instr 1" in lines and "endin" in lines
    assert not any(ln.strip().startswith(("<instr", "</instr")) for ln in lines)
    assert "Sure!" not in fixed.text and "Karplus" not in fixed.text
    # The header came from the static check's quick fix, once each.
    for name in ("sr", "ksmps", "nchnls", "0dbfs"):
        assert sum(ln.split("=")[0].strip() == name for ln in lines) == 1, name
    assert any("quick fix" in c for c in fixed.changes)


def test_a_cut_answer_keeps_its_last_note() -> None:
    assert "i 1 0 1\n</CsScore>" in normalize_csd(TRUNCATED).text


def test_bare_orchestra_keeps_its_score() -> None:
    fixed = normalize_csd(BARE_ORCHESTRA)
    score = fixed.text.split("<CsScore>")[1].split("</CsScore>")[0]
    assert score.strip().splitlines() == ["i 2 0 2 220", "i 2 2 2 330"]
    assert "wrapped the orchestra in a complete CSD" in fixed.changes


def test_missing_score_gets_one_note_per_instrument() -> None:
    fixed = normalize_csd(MIXED)
    assert '<CsScore>\ni "Bell" 0 3\n</CsScore>' in fixed.text
    assert "endin\n</CsInstruments>" in fixed.text
    assert "instr Bell" in fixed.text


def test_orchestra_that_schedules_itself_gets_a_duration_only() -> None:
    answer = 'instr 1\n  schedule 2, 0, 1\nendin\ninstr 2\n  outs a(0), a(0)\nendin\n'
    score = normalize_csd(answer).text.split("<CsScore>")[1].split("</CsScore>")[0]
    assert score.strip() == "f 0 3"


def test_endin_then_xml_close_is_not_doubled() -> None:
    answer = MIXED.replace("endin</csinstruments>", "endin\n</instr>\n</csinstruments>")
    fixed = normalize_csd(answer)
    assert fixed.text.count("endin") == 1


def test_a_good_csd_is_left_alone() -> None:
    good = XML_ANSWER  # made good by one pass, then a second pass changes nothing
    once = normalize_csd(good).text
    again = normalize_csd(once)
    assert again.text == once and again.changes == []


def test_text_without_csound_is_returned_as_is() -> None:
    answer = "I cannot help with that, but the Csound manual has many examples."
    fixed = normalize_csd(answer)
    assert fixed.text.strip() == answer and fixed.changes == []
    assert normalize_csd("").text == ""


def test_comparisons_in_code_are_not_tags() -> None:
    answer = XML_ANSWER.replace(
        "  outs asig, asig", "  if p4 < 1 && p5 > 8 then\n    asig = asig * 0.5\n  endif\n"
        "  outs asig, asig ; <CsScore> in a comment stays"
    )
    fixed = normalize_csd(answer)
    assert "if p4 < 1 && p5 > 8 then" in fixed.text
    assert "; <CsScore> in a comment stays" in fixed.text


# Qwen2.5-Coder-1.5B's first answer to a held-out pad prompt set the header inside the instrument
# ("unexpected SRATE_TOKEN") and left <CsInstruments> out.
HEADER_IN_INSTR = """\
<CsoundSynthesizer>
instr 1
    sr = 44100 ; Sample rate
    ksmps = 100 ; Number of samples per block
    nchnls = 2 ; Number of channels
    asig vco2 0.2, 110
    outs asig, asig
endin
<CsScore>
i 1 0 4
</CsScore>
</CsoundSynthesizer>
"""


@needs_csound
async def test_header_inside_an_instrument_moves_to_the_orchestra_header() -> None:
    before, _ = await compile_errors(HEADER_IN_INSTR)
    assert before
    fixed = normalize_csd(HEADER_IN_INSTR)
    errors, output = await compile_errors(fixed.text)
    assert errors == [], (fixed.text, output)
    orc = fixed.text.split("<CsInstruments>")[1].split("instr 1")[0]
    assert "sr = 44100 ; Sample rate" in orc and "ksmps = 100" in orc and "0dbfs = 1" in orc
    assert fixed.text.count("sr = 44100") == 1
    assert any(c.startswith("moved the header out of the instrument") for c in fixed.changes)


# Qwen2.5-Coder-1.5B, held-out bell prompt, round 1: "global gisin" (the issue saw `var giwave`
# and `global gaReverbSend` in repair rounds).
INVENTED_DECLARATIONS = """\
<CsoundSynthesizer>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1
global gisin
var gaSend = 0 ; the reverb bus
instr 1
  a1 oscili 0.2, 440
  gaSend = gaSend + a1
  outs a1, a1
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>
"""


@needs_csound
async def test_declarations_from_other_languages_become_init() -> None:
    before, _ = await compile_errors(INVENTED_DECLARATIONS)
    assert before
    fixed = normalize_csd(INVENTED_DECLARATIONS)
    assert "gisin init 0" in fixed.text and "gaSend init 0 ; the reverb bus" in fixed.text
    errors, output = await compile_errors(fixed.text)
    assert errors == [], (fixed.text, output)


# Python-style names (Qwen2.5-Coder-1.5B, bell prompt: `pitch1 = 440`): `pitch` is an opcode, an
# `f` name a spectral signal, and a name with no rate letter has no type.
UNTYPED = """\
<CsoundSynthesizer>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1
instr 1
  pitch = 440
  freq = pitch * 2 ; an octave up
  kenv line 0.3, p3, 0
  level = kenv * 0.5
  a1 oscili level, freq
  outs a1, a1
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>
"""


@needs_csound
async def test_variables_get_a_rate_prefix_throughout_their_instrument() -> None:
    before, _ = await compile_errors(UNTYPED)
    assert before
    fixed = normalize_csd(UNTYPED)
    assert "ipitch = 440" in fixed.text and "ifreq = ipitch * 2 ; an octave up" in fixed.text
    assert "klevel = kenv * 0.5" in fixed.text and "a1 oscili klevel, ifreq" in fixed.text
    errors, output = await compile_errors(fixed.text)
    assert errors == [], (fixed.text, output)
    assert normalize_csd(fixed.text).changes == []  # typed names are left alone


def test_a_declaration_of_a_defined_global_is_removed() -> None:
    # Round 2 of the same run: the model added the ftgen line and kept `global gisin`.
    text = INVENTED_DECLARATIONS.replace(
        "global gisin\n", "global gisin\ngisin ftgen 0, 0, 2^10, 10, 1\n"
    )
    fixed = normalize_csd(text)
    assert "global gisin" not in fixed.text and "gisin init" not in fixed.text
    assert "gisin ftgen 0, 0, 2^10, 10, 1" in fixed.text


@needs_csound
async def test_an_answer_cut_off_inside_a_tag_is_completed() -> None:
    # Qwen2.5-Coder-1.5B, held-out noise prompt: the 300 s deadline cut the answer after `</`
    # ("sread: illegal opcode <").
    answer = TRUNCATED.replace("Here you go:\n", "") + "e\n</"
    before, _ = await compile_errors(answer)
    assert before
    fixed = normalize_csd(answer)
    assert fixed.text.endswith("e\n</CsScore>\n</CsoundSynthesizer>\n")
    errors, output = await compile_errors(fixed.text)
    assert errors == [], (fixed.text, output)


@needs_csound
async def test_the_unfinished_last_line_of_a_cut_answer_goes() -> None:
    # Qwen2.5-Coder-1.5B, bell prompt, round 1: cut by the 300 s deadline mid-statement.
    answer = (
        "```csound\n<CsoundSynthesizer>\n<CsInstruments>\nsr = 44100\nksmps = 32\nnchnls = 2\n"
        "0dbfs = 1\ninstr 1\n  kenv1 linseg 0, 0.02, 1, p3 - 0.02, 0\n"
        "  a1 foscili kenv1 * 0.3, 440, 1, 1.4, 2\n  outs a1, a1\n  kenv3 delayk kenv1"
    )
    before, _ = await compile_errors(answer)
    assert before
    fixed = normalize_csd(answer)
    assert "delayk" not in fixed.text and "outs a1, a1\nendin" in fixed.text
    assert any(c.startswith("dropped the last line, cut off") for c in fixed.changes)
    errors, output = await compile_errors(fixed.text)
    assert errors == [], (fixed.text, output)


@needs_csound
async def test_instrument_code_after_endin_moves_back_in() -> None:
    # Qwen2.5-Coder-1.5B, pad prompt, round 3: the sweep was written after `endin`.
    text = csd_of(
        "instr 1\n  kcut1 = 200\n  asig vco2 0.2, 110\n  afil moogladder asig, kcut1, 0.3\n"
        "  outs afil, afil\nendin\n\n; sweep the cutoff\nktrig metro 4\nkcut1 = kcut1 + 50\n"
        'alwayson "Verb"\ninstr Verb\n  a1 = 0\nendin'
    )
    before, _ = await compile_errors(text)
    assert before
    fixed = normalize_csd(text)
    assert "ktrig metro 4\nkcut1 = kcut1 + 50\nendin" in fixed.text
    assert 'endin\n\n; sweep the cutoff\nalwayson "Verb"' in fixed.text  # an opcode stays global
    errors, output = await compile_errors(fixed.text)
    assert errors == [], (fixed.text, output)


def csd_of(orc: str) -> str:
    return (
        "<CsoundSynthesizer>\n<CsInstruments>\nsr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n"
        f"{orc}\n</CsInstruments>\n<CsScore>\ni 1 0 1\n</CsScore>\n</CsoundSynthesizer>\n"
    )
