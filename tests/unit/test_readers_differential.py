"""The differential test of the Csound readers (bench/readers.py, issue 16): every reader of
sections, blocks and statements run over the same real texts, compared line by line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from csound_assist.diagnostics.opcodes import default_table

ROOT = Path(__file__).resolve().parents[2]
MANUAL = Path("/usr/share/doc/csound-doc/html/examples")


@pytest.fixture(scope="module")
def readers():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        yield importlib.import_module("readers")
    finally:
        sys.path.remove(str(ROOT / "bench"))


@pytest.fixture(scope="module")
def table():
    return default_table()


def csd(orchestra: str, score: str = "i 1 0 1") -> str:
    return ("<CsoundSynthesizer>\n<CsOptions>\n-n\n</CsOptions>\n<CsInstruments>\n"
            f"{orchestra}\n</CsInstruments>\n<CsScore>\n{score}\n</CsScore>\n"
            "</CsoundSynthesizer>\n")


def answers(readers, table, text: str, question: str, line: int) -> dict[str, object]:
    """Every reader's answer to `question` for 0-based `line` of `text`."""
    out = {}
    for name, reader in readers.READERS.items():
        got = reader(text, "csd", table)
        if line in got.get(question, {}):
            out[name] = got[question][line]
    return out


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


def test_a_planted_difference_is_counted(readers, table):
    """The comparison itself: a reader that answers differently on one line is one point."""
    text = csd("instr 1\n  a1 oscili 0.5, 440\n  outs a1, a1\nendin\n")
    target = line_of(text, "oscili")

    def wrong(t, k, tab):
        got = readers.READERS["outline"](t, k, tab)
        got["opcode"][target] = "poscil"
        return got

    report = readers.Report()
    readers.compare("planted.csd", text, "csd", table, report,
                    {"outline": readers.READERS["outline"], "wrong": wrong})
    assert report.disagreements["opcode"] == 1
    assert report.versus[("opcode", "wrong")] == 1


@pytest.mark.skipif(not MANUAL.is_dir(), reason="the Csound manual's examples are not installed")
def test_manual_examples_and_mutants_run_through_every_reader(readers, table):
    items = readers.corpus(MANUAL.parent, 15, 1, 16, table)
    assert len(items) > 15  # the examples and at least one mutant
    report = readers.run(items, table)
    assert report.files == len(items)
    assert not report.failures
    assert report.lines > 500


HEADER = "sr = 44100\nksmps = 32\nnchnls = 2\n0dbfs = 1\n"
# Issue 16's disagreements, each as a whole file every reader reads.
TAG_IN_COMMENT = csd(HEADER + "; the notes go in <CsScore> below\ninstr 1\n"
                     "  a1 oscili 0.5, 440\n  outs a1, a1\nendin\n")
INSTR_IN_BLOCK_COMMENT = csd(HEADER + "/*\ninstr 99\n  a9 oscili 0.1, 99\n*/\ninstr 1\n"
                             "  a1 oscili 0.5, 440\n  outs a1, a1\nendin\n")
OUTZ = csd(HEADER + "zakinit 2, 1\ninstr 1\n  a1 oscili 0.5, 440\n  outz a1, a1\nendin\n")


@pytest.mark.parametrize("text", [TAG_IN_COMMENT, INSTR_IN_BLOCK_COMMENT, OUTZ],
                         ids=["tag-in-comment", "instr-in-block-comment", "outz"])
def test_every_reader_agrees_on_the_issue_examples(readers, table, text):
    report = readers.Report()
    readers.compare("issue16.csd", text, "csd", table, report)
    assert not report.failures
    assert report.total() == 0, dict(report.examples)


def test_a_clean_file_has_no_disagreement(readers, table):
    text = csd(HEADER + "\ninstr 1\n  a1 oscili 0.5, 440\n  outs a1, a1\nendin\n\n"
               "opcode Gain, a, ak\n  ain, kg xin\n  xout ain * kg\nendop\n")
    report = readers.Report()
    readers.compare("clean.csd", text, "csd", table, report)
    assert not report.failures
    assert report.total() == 0, dict(report.examples)


def test_a_tag_in_a_comment_switches_nothing(readers, table):
    from csound_assist.ai.context import cursor_context
    from csound_assist.ai.postfilter import stop_point

    text = TAG_IN_COMMENT
    row = line_of(text, "a1 oscili")
    got = answers(readers, table, text, "section", row)
    assert set(got.values()) == {"orchestra"}, got
    ctx = cursor_context(text, text.index("a1 oscili"))
    assert ctx.section == "orchestra" and ctx.block.startswith("instr 1")
    # Inline completion stays in orchestra mode: a two-line suggestion is not cut at the line.
    assert stop_point("a2 oscili 0.1, 220\nouts a2, a2\n", ctx) is None


def test_an_instr_in_a_block_comment_opens_no_block(readers, table):
    from csound_assist.ai.context import enclosing_block
    from csound_assist.ai.explain import code_to_explain
    from csound_assist.ai.fix import error_region

    text = INSTR_IN_BLOCK_COMMENT
    row = line_of(text, "instr 99")
    assert set(answers(readers, table, text, "block", row).values()) == {None}
    inside = text.index("a9 oscili")
    assert enclosing_block(text, inside) == ""
    assert error_region(text, line_of(text, "a9 oscili")) == (0, len(text))
    # Explain inside the comment gets no block of the comment's text; inside instr 1 it gets
    # exactly instr 1.
    assert not code_to_explain(text, inside).startswith("instr 99")
    block = code_to_explain(text, text.index("a1 oscili"))
    assert block.startswith("instr 1\n") and block.rstrip().endswith("endin")
    assert "instr 99" not in block


def test_outz_without_a_tree_is_opcode_outz_everywhere(readers, table):
    """No tree (oversized file, no grammar) and no knowledge base yet: the line's shape says."""
    from csound_assist.ai.postfilter import used_opcodes
    from csound_assist.diagnostics.source import parse_statement as source_statement
    from csound_assist.features.analysis import build_outline
    from csound_assist.features.document import Document

    doc = Document.from_text("file:///x.csd", OUTZ, kind="csd")
    assert doc.tree is None
    st = build_outline(doc, None).statements[line_of(OUTZ, "outz")]
    code = OUTZ.split("\n")[line_of(OUTZ, "outz")]
    assert st.opcode is not None and st.opcode.text == "outz" and not st.outputs
    assert [code[a:b] for a, b in st.args] == ["a1", "a1"]
    other = source_statement(code, 0)
    assert other is not None and other.opcode is not None and other.opcode.text == "outz"
    assert [t.text for t in other.args] == ["a1", "a1"] and not other.outputs
    assert used_opcodes(code) == {"outz"}
    # With the opcode table, every reader (tree and lines) says the same.
    assert set(answers(readers, table, OUTZ, "opcode", line_of(OUTZ, "outz")).values()) == {"outz"}


def test_an_instrument_the_tree_loses_is_still_a_block(readers, table):
    """An unbalanced parenthesis turns instr 2 into an ERROR node: the Outline (and so Fix with
    AI's region) still has it, as the line readers do."""
    from csound_assist.ai.fix import error_region

    text = csd(HEADER + "instr 1\n  a1 oscili 0.5, 440\n  outs a1, a1\nendin\n\ninstr 2\n"
               "  a2 oscili 0.5, (220 * 2\n  outs a2, a2\nendin\n")
    row = line_of(text, "(220")
    got = answers(readers, table, text, "block", row)
    expected = ("instr", line_of(text, "instr 2"))
    assert {v for k, v in got.items() if k != "parsing"} == {expected}, got
    start, end = error_region(text, row)
    assert text[start:end] == "instr 2\n  a2 oscili 0.5, (220 * 2\n  outs a2, a2\nendin\n"
