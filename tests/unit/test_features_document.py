"""Document: position encodings, incremental edits, and the incremental re-parse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csound_assist.features.document import (
    UTF8,
    UTF16,
    UTF32,
    Document,
    Pos,
    char_to_units,
    kind_for,
    units_to_char,
)
from csound_assist.lsp.documents import make_parse_fn

LINE = 'S = "🎹音"; aSig moogladder'


@pytest.mark.parametrize(
    ("encoding", "units"),
    [(UTF16, 5 + 2 + 1), (UTF8, 5 + 4 + 3), (UTF32, 5 + 1 + 1)],
)
def test_columns_after_emoji_and_cjk(encoding: str, units: int) -> None:
    # 'S = "' is 5 code points, then the emoji and the CJK character; column 7 is just after 音.
    char = 7
    assert char_to_units(LINE, char, encoding) == units
    assert units_to_char(LINE, char_to_units(LINE, char, encoding), encoding) == char


def test_units_inside_a_surrogate_pair_round_up() -> None:
    # Column 6 in UTF-16 is in the middle of the emoji: the position maps to the emoji's end.
    assert units_to_char(LINE, 6, UTF16) == 6


def test_clamping_and_kinds() -> None:
    doc = Document.from_text("file:///x.orc", "instr 1\nendin")
    assert doc.pos_from_client(99, 5) == Pos(1, 5)
    assert doc.pos_from_client(0, 99) == Pos(0, 7)
    assert doc.pos_from_client(-1, 3) == Pos(0, 0)
    assert kind_for("file:///a/b.udo") == "orc"
    assert kind_for("file:///a/b.SCO") == "sco"
    assert kind_for("untitled:1", "csound-csd") == "csd"


def test_lone_surrogate_does_not_break_encoding() -> None:
    doc = Document.from_text("file:///x.csd", "a\ud800b\n")
    assert doc.text == "a?b\n"


text_st = st.text(alphabet=st.sampled_from(list("ab \n;é音🎹\r\t\"")), max_size=40)


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[tuple[int, int, int, int], str]]]:
    base = draw(text_st)
    changes = []
    for _ in range(draw(st.integers(1, 5))):
        lines = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        cols = draw(st.integers(0, 12)), draw(st.integers(0, 12))
        changes.append(((lines[0], cols[0], lines[1], cols[1]), draw(text_st)))
    return base, changes


def _reference(text: str, rng: tuple[int, int, int, int], new: str, enc: str) -> str:
    """Apply one LSP change the slow, obvious way (with the same clamping rules)."""
    doc = Document.from_text("file:///r.csd", text, encoding=enc)
    a = doc.pos_from_client(rng[0], rng[1])
    b = doc.pos_from_client(rng[2], rng[3])
    lines = doc.text.split("\n")

    def off(p: Pos) -> int:
        return sum(len(x) + 1 for x in lines[: p.line]) + p.char

    i, j = sorted((off(a), off(b)))
    return doc.text[:i] + new + doc.text[j:]


@settings(max_examples=300, deadline=None)
@given(edits(), st.sampled_from([UTF8, UTF16, UTF32]))
def test_incremental_edits_match_a_full_rebuild(case, encoding) -> None:
    base, changes = case
    doc = Document.from_text("file:///t.csd", base, encoding=encoding)
    expected = doc.text
    for rng, new in changes:
        expected = _reference(expected, rng, new, encoding)
        doc.apply_changes([(rng, new)])
        fresh = Document.from_text("file:///t.csd", expected)
        assert doc.text == fresh.text
        assert doc.line_starts == fresh.line_starts


def test_full_replacement() -> None:
    doc = Document.from_text("file:///t.csd", "abc")
    doc.apply_changes([(None, "x\ny")], version=3)
    assert doc.lines == ["x", "y"] and doc.version == 3


def test_edited_line_is_where_the_last_change_ends() -> None:
    doc = Document.from_text("file:///t.csd", "instr 1\n  a1 oscili 1, 440\nendin\n")
    assert doc.edited_line is None
    doc.apply_changes([((1, 2, 1, 2), "k")])
    assert doc.edited_line == 1
    doc.apply_changes([((0, 7, 0, 7), "\n  ; two\n  ; lines")])  # ends two lines further down
    assert doc.edited_line == 2 and doc.line(2) == "  ; lines"
    doc.apply_changes([(None, "new")])
    assert doc.edited_line is None


parse_fn = make_parse_fn()
needs_grammar = pytest.mark.skipif(parse_fn is None, reason="tree-sitter-csound is not built")


@needs_grammar
@settings(max_examples=150, deadline=None)
@given(edits())
def test_incremental_reparse_equals_a_fresh_parse(case) -> None:
    base, changes = case
    doc = Document.from_text("file:///t.csd", base, parse_fn=parse_fn)
    for rng, new in changes:
        doc.apply_changes([(rng, new)])
    fresh = Document.from_text("file:///t.csd", doc.text, parse_fn=parse_fn)
    assert str(doc.tree.root_node) == str(fresh.tree.root_node)


@needs_grammar
def test_tree_is_edited_not_rebuilt() -> None:
    text = "<CsInstruments>\ninstr 1\n  aSig vco2 0.5, 440\n  out aSig\nendin\n</CsInstruments>\n"
    doc = Document.from_text("file:///t.csd", text, parse_fn=parse_fn)
    old_tree = doc.tree
    doc.apply_changes([((2, 17, 2, 20), "220")])
    assert doc.tree is not old_tree
    assert doc.tree.root_node.text.decode() == doc.text
    assert not doc.tree.root_node.has_error or old_tree.root_node.has_error


def test_too_large_files_get_no_tree() -> None:
    calls = []
    doc = Document.from_text("file:///big.csd", "x" * 100, max_bytes=50,
                             parse_fn=lambda src, old: calls.append(1))
    assert doc.too_large and doc.tree is None and not calls
