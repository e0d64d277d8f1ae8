"""The feature engines over a real knowledge base and the real grammar: completion, hover, signature
help, symbols, folding, definitions/references and rename."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from csound_assist.features import (
    completion,
    definition,
    folding,
    hover,
    rename,
    signature,
    symbols,
)
from csound_assist.features.document import Document, Pos
from csound_assist.lsp.documents import make_parse_fn

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = (DATA / "lsp-sample.csd").read_text()


@pytest.fixture(scope="module")
def kb():
    from csound_assist.knowledge import load_knowledge_base

    return load_knowledge_base()


def doc_of(text: str, name: str = "t.csd") -> Document:
    return Document.from_text(f"file:///{name}", text, parse_fn=make_parse_fn())


def at(text: str, needle: str, offset: int = 0) -> Pos:
    """Engine position of `needle` (+ offset characters)."""
    i = text.index(needle)
    line = text.count("\n", 0, i)
    return Pos(line, i - (text.rfind("\n", 0, i) + 1) + offset)


def labels(result: types.CompletionList) -> list[str]:
    return [i.label for i in sorted(result.items, key=lambda i: i.sort_text or i.label)]


# -- completion ---------------------------------------------------------------------------------

def test_after_audio_output_only_audio_opcodes(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  aOut ")
    got = labels(completion.complete(doc_of(text), kb, at(text, "aOut ", 5)))
    assert {"vco2", "moogladder", "poscil", "reverbsc"} <= set(got)
    for name in got:
        op = kb.get(name)
        if op is not None:
            assert any("a" in s.output_rates() for s in op.signatures), name
    assert "metro" not in got and "printk" not in got and "outs" not in got


def test_modern_opcodes_rank_first(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  aOut ")
    got = labels(completion.complete(doc_of(text), kb, at(text, "aOut ", 5), limit=5000))
    assert got.index("poscil") < got.index("oscil")
    # Opcodes this file already uses come before the rest.
    assert got.index("moogladder") < got.index("zdf_ladder")


def test_control_output_excludes_audio_only(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  kLfo ")
    got = set(labels(completion.complete(doc_of(text), kb, at(text, "kLfo ", 5))))
    assert {"lfo", "madsr", "linseg"} <= got
    assert "vco2" not in got and "moogladder" not in got


def test_statement_position_offers_opcodes_with_snippets(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  moo")
    result = completion.complete(doc_of(text), kb, at(text, "  moo", 5))
    item = next(i for i in result.items if i.label == "moogladder")
    assert item.insert_text_format == types.InsertTextFormat.Snippet
    assert item.insert_text.startswith("moogladder ${1:")
    assert "moogladder" in item.detail
    resolved = completion.resolve(item, kb)
    assert "Moog ladder lowpass filter" in resolved.documentation.value


def test_argument_position_offers_variables_of_a_fitting_rate(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  aOut moogladder ")
    got = labels(completion.complete(doc_of(text), kb, at(text, "aOut moogladder ", 16)))
    assert "aSaw" in got and "kEnv" not in got and "iFreq" not in got  # ain is a-rate
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  aOut moogladder aSaw, ")
    got = labels(completion.complete(doc_of(text), kb, at(text, "aSaw, ", 6)))
    assert "kEnv" in got and "iFreq" in got  # kcf takes k- and i-rate values
    assert "gaVerb" not in got or "aSaw" in got


def test_macros_directives_score_and_options(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  aX = $")
    assert labels(completion.complete(doc_of(text), kb, at(text, "= $", 3))) == ["CUTOFF"]
    text = SAMPLE.replace("#define CUTOFF", "#inc\n#define CUTOFF")
    got = labels(completion.complete(doc_of(text), kb, at(text, "#inc", 4)))
    assert "include" in got or "includestr" in got
    text = SAMPLE.replace("i 2 0 1 440", "i ")
    got = labels(completion.complete(doc_of(text), kb, Pos(text.splitlines().index("i "), 2)))
    assert {'"Pad"', "2", "99"} <= set(got)
    text = SAMPLE.replace("f 1 0 8192 10 1", "f 1 0 8192 ")
    got = labels(completion.complete(doc_of(text), kb, at(text, "f 1 0 8192 ", 11)))
    assert "10" in got and "7" in got
    text = SAMPLE.replace("-odac -d", "-odac --")
    got = labels(completion.complete(doc_of(text), kb, at(text, "--", 2)))
    assert "--output" in got or any(g.startswith("--") for g in got)


def test_a_typed_number_is_not_completed_to_a_name(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  aX = 0")
    got = labels(completion.complete(doc_of(text), kb, at(text, "aX = 0", 6)))
    assert "0dbfs" not in got
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  kX = 0d")
    got = labels(completion.complete(doc_of(text), kb, at(text, "kX = 0d", 7)))
    assert "0dbfs" in got


def test_no_completion_in_comments_and_strings(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  ; aOut ")
    assert completion.complete(doc_of(text), kb, at(text, "; aOut ", 7)).items == []


def test_completion_after_emoji_and_cjk(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", '  Sx = "🎹音" ; x\n  aOut ')
    doc = doc_of(text)
    assert {"vco2", "poscil"} <= set(labels(completion.complete(doc, kb, at(text, "aOut ", 5))))


# -- hover ----------------------------------------------------------------------------------------

def test_hover_opcode_and_parameter(kb) -> None:
    doc = doc_of(SAMPLE)
    h = hover.hover(doc, kb, at(SAMPLE, "moogladder", 2))
    assert "Moog ladder lowpass filter" in h.contents.value
    assert "asig moogladder ain, kcf, kres" in h.contents.value
    h = hover.hover(doc, kb, at(SAMPLE, "moogladder aSaw", 12))
    assert "aSaw" in h.contents.value and "`ain`" in h.contents.value


def test_hover_variable_instrument_macro_gen_pfield(kb) -> None:
    doc = doc_of(SAMPLE)
    h = hover.hover(doc, kb, at(SAMPLE, "kEnv\n", 1))
    assert "control-rate" in h.contents.value and "line 20" in h.contents.value
    h = hover.hover(doc, kb, at(SAMPLE, "instr Pad", 7))
    assert "Stereo saw pad" in h.contents.value
    h = hover.hover(doc, kb, at(SAMPLE, "$CUTOFF", 2))
    assert "2000" in h.contents.value
    h = hover.hover(doc, kb, at(SAMPLE, "8192 10 1", 5))
    assert "GEN10" in h.contents.value
    h = hover.hover(doc, kb, at(SAMPLE, 'i "Pad" 0 2 8.00', 12))
    assert "p4 → iFreq in instr Pad" in h.contents.value
    h = hover.hover(doc, kb, at(SAMPLE, "-odac", 1))
    assert "-o" in h.contents.value


def test_hover_range_is_utf16_after_emoji(kb) -> None:
    line = '  aZ = moogladder(aSaw, strlen("🎹音"), 0) + moogladder(aSaw, 1, 0)'
    text = SAMPLE.replace("  outs aSig, aSig\nendin", f"{line}\n  outs aSig, aSig\nendin", 1)
    doc = doc_of(text)
    row = text.splitlines().index(line)
    col = line.rindex("moogladder")
    h = hover.hover(doc, kb, Pos(row, col + 3))
    assert (h.range.start.character, h.range.end.character) == (col + 1, col + 11)


# -- signature help -------------------------------------------------------------------------------

def test_signature_help_active_parameter(kb) -> None:
    doc = doc_of(SAMPLE)
    sh = signature.signature_help(doc, kb, at(SAMPLE, "moogladder aSaw, ", 17))
    assert sh is not None and sh.active_parameter == 1
    assert "moogladder" in sh.signatures[sh.active_signature].label
    sh = signature.signature_help(doc, kb, at(SAMPLE, "cpspch(p4", 8))
    assert sh is not None and "cpspch" in sh.signatures[0].label and sh.active_parameter == 0


def test_signature_help_for_udo(kb) -> None:
    text = SAMPLE.replace("  aSig  = aSig * kEnv", "  aSig Gain aSig, ")
    sh = signature.signature_help(doc_of(text), kb, at(text, "Gain aSig, ", 11))
    assert sh.signatures[0].label.startswith("a Gain") and sh.active_parameter == 1


# -- symbols, folding -----------------------------------------------------------------------------

def test_document_symbols(kb) -> None:
    syms = symbols.document_symbols(doc_of(SAMPLE), kb)
    assert [s.name for s in syms] == ["CsoundSynthesizer"]
    sections = {s.name: s for s in syms[0].children}
    names = [c.name for c in sections["CsInstruments"].children]
    assert {"instr Pad", "instr 2", "opcode Gain", "instr 99", "$CUTOFF", "giSine",
            "gaVerb"} <= set(names)
    ws = symbols.workspace_symbols([doc_of(SAMPLE)], "pad", kb)
    assert [w.name for w in ws] == ["instr Pad"]


def test_folding(kb) -> None:
    ranges = {(r.start_line, r.end_line, r.kind) for r in folding.folding_ranges(doc_of(SAMPLE))}
    lines = SAMPLE.splitlines()
    pad = lines.index("instr Pad")
    assert (pad, lines.index("endin") - 1, None) in ranges
    if_line = next(i for i, ln in enumerate(lines) if ln.strip().startswith("if p4"))
    assert (if_line, if_line + 1, None) in ranges
    assert any(k == types.FoldingRangeKind.Region for _, _, k in ranges)


# -- definition, references, rename ---------------------------------------------------------------

def test_instrument_definition_and_references(kb) -> None:
    doc = doc_of(SAMPLE)
    # From the schedule call to the instrument header.
    locs = definition.definition(doc, kb, at(SAMPLE, '"Pad", 0, 1', 2))
    assert locs[0].range.start.line == SAMPLE.splitlines().index("instr Pad")
    refs = definition.references(doc, kb, at(SAMPLE, "instr Pad", 7))
    lines = {r.range.start.line for r in refs}
    score_line = SAMPLE.splitlines().index('i "Pad" 0 2 8.00 -12')
    assert score_line in lines and len(lines) == 3  # header, schedule, score


def test_local_and_global_variables(kb) -> None:
    doc = doc_of(SAMPLE)
    refs = definition.references(doc, kb, at(SAMPLE, "aSig  moogladder", 1))
    assert len(refs) == 6  # only inside instr Pad
    refs = definition.references(doc, kb, at(SAMPLE, "gaVerb init", 1))
    assert len(refs) >= 5  # definition, +=, reverbsc ×2, clear
    locs = definition.definition(doc, kb, at(SAMPLE, "$CUTOFF", 3))
    assert locs[0].range.start.line == SAMPLE.splitlines().index("#define CUTOFF #2000#")


def test_rename_local_and_udo(kb) -> None:
    doc = doc_of(SAMPLE)
    edit = rename.rename(doc, kb, at(SAMPLE, "aSaw  vco2", 1), "aOsc")
    edits = edit.changes[doc.uri]
    assert len(edits) == 2 and all(e.new_text == "aOsc" for e in edits)
    with pytest.raises(rename.RenameError):
        rename.rename(doc, kb, at(SAMPLE, "aSaw  vco2", 1), "kOsc")  # changes the rate
    with pytest.raises(rename.RenameError):
        rename.rename(doc, kb, at(SAMPLE, "gaVerb init", 1), "gaWet")  # globals: not renamed
    assert rename.prepare_rename(doc, kb, at(SAMPLE, "opcode Gain", 8)) is not None


def test_everything_survives_without_a_knowledge_base() -> None:
    doc = doc_of(SAMPLE)
    assert completion.complete(doc, None, at(SAMPLE, "aSig  moog", 6)) is not None
    assert hover.hover(doc, None, at(SAMPLE, "kEnv\n", 1)) is not None
    assert symbols.document_symbols(doc) and folding.folding_ranges(doc)
