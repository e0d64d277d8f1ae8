"""The parsing API over the real tree-sitter grammar: structure, fields, problems, positions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Point, Tree

from csound_assist import parsing

CSD = """<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 44100
0dbfs = 1
giSine ftgen 0, 0, 8192, 10, 1

instr 1, Lead
  iamp = p4 * 0dbfs
  kenv linseg 0, 0.1, 1, p3 - 0.1, 0
  a1 oscili iamp * kenv, cpspch(p5), giSine
  a2 = oscili:a(0.5, 440)
  kTime timeinsts
  outs a1, a2
endin

opcode Tone, a, kk
  kfreq, kamp xin
  xout oscili(kamp, kfreq)
endop

opcode Pair(x:k, y:i):(a,k)
endop
</CsInstruments>
<CsScore>
f 1 0 16384 10 1
i 1 0 1 0.5 8.00
i "Lead" + . < 9.00
e
</CsScore>
</CsoundSynthesizer>
"""


@pytest.fixture(scope="module")
def tree() -> Tree:
    return parsing.parse(CSD)


def test_clean_csd_has_no_problems(tree: Tree) -> None:
    assert parsing.problems(tree) == []
    assert tree.root_node.named_children[0].type == "csd"


def test_instruments(tree: Tree) -> None:
    assert [i.names for i in parsing.instruments(tree)] == [["1", "Lead"]]


def test_udos_old_and_new_style(tree: Tree) -> None:
    udos = {u.name: u for u in parsing.udos(tree)}
    assert (udos["Tone"].outputs, udos["Tone"].inputs, udos["Tone"].new_style) == ("a", "kk", False)
    assert (udos["Pair"].outputs, udos["Pair"].inputs, udos["Pair"].new_style) == ("ak", "ki", True)


def test_opcode_calls_statements_and_functions(tree: Tree) -> None:
    calls = parsing.opcode_calls(tree)
    names = [c.name for c in calls]
    assert names[:3] == ["ftgen", "linseg", "oscili"]
    assert "cpspch" in names and "xin" in names and "xout" in names
    oscili = calls[2]
    assert [parsing.node_text(o) for o in oscili.outputs] == ["a1"]
    assert [parsing.node_text(a) for a in oscili.inputs] == ["iamp * kenv", "cpspch(p5)", "giSine"]
    typed = next(c for c in calls if c.type_hint)
    assert (typed.name, typed.type_hint, typed.is_function) == ("oscili", "a", True)


def test_known_opcode_alone_after_output_is_the_opcode(tree: Tree) -> None:
    call = next(c for c in parsing.opcode_calls(tree) if c.name == "timeinsts")
    assert [parsing.node_text(o) for o in call.outputs] == ["kTime"]
    out = parsing.opcode_calls(parsing.parse("instr 1\n out asig\nendin\n"))[0]
    assert (out.name, [parsing.node_text(a) for a in out.inputs]) == ("out", ["asig"])


def test_variables_written_and_read(tree: Tree) -> None:
    occurrences = {(v.name, v.written) for v in parsing.variables(tree)}
    expected = {("a1", True), ("kenv", True), ("kenv", False), ("p4", False), ("x", True)}
    assert expected <= occurrences
    names = {v.name for v in parsing.variables(tree)}
    assert not names & {"oscili", "linseg", "cpspch", "Tone"}


def test_score_statements(tree: Tree) -> None:
    statements = parsing.score_statements(tree)
    assert [s.letter for s in statements] == ["f", "i", "i", "e"]
    pfields = [parsing.node_text(p) for p in statements[2].pfields]
    assert pfields == ['"Lead"', "+", ".", "<", "9.00"]


def test_node_at_finds_the_opcode_name(tree: Tree) -> None:
    line = CSD.splitlines().index("  a1 oscili iamp * kenv, cpspch(p5), giSine")
    node = parsing.named_node_at(tree, (line, 6))
    assert node.type == "opcode_name" and parsing.node_text(node) == "oscili"
    assert parsing.enclosing(node, "instrument_definition") is not None


def test_broken_statement_stays_local() -> None:
    tree = parsing.parse("instr 1\n  a1 oscili 0.5,, 440\n  out a1\nendin\n")
    problems = parsing.problems(tree)
    assert [(p.kind, p.start.row) for p in problems] == [("error", 1)]
    assert [c.name for c in parsing.opcode_calls(tree)] == ["oscili", "out"]


def test_missing_endin_recovers_at_next_instr() -> None:
    tree = parsing.parse("instr 1\n  a1 = 1\ninstr 2\n  a2 = 2\nendin\n")
    assert [i.names for i in parsing.instruments(tree)] == [["1"], ["2"]]
    problems = parsing.problems(tree)
    assert [(p.kind, p.start) for p in problems] == [("missing", Point(2, 0))]
    assert "endin" in problems[0].message


def test_unclosed_parenthesis_does_not_swallow_the_next_instrument() -> None:
    tree = parsing.parse("instr 1\n  a1 = oscili(0.5,\nendin\ninstr 2\n  out a2\nendin\n")
    assert [i.names for i in parsing.instruments(tree)] == [["1"], ["2"]]
    assert [p.start.row for p in parsing.problems(tree)] == [1]


def test_standalone_score_and_orchestra() -> None:
    score = parsing.parse("; a score\ni1 0 1\nf 1 0 1024 10 1\ne\n")
    assert [s.letter for s in parsing.score_statements(score)] == ["i", "f", "e"]
    orc = parsing.parse("i1 = 5\n")
    assert parsing.problems(orc) == [] and parsing.score_statements(orc) == []


def test_incremental_reparse_matches_a_fresh_parse() -> None:
    source = CSD.encode()
    p = parsing.parser()
    old = p.parse(source)
    at = source.index(b"0.5, 440")
    new_source = source[:at] + b"0.7" + source[at + 3:]
    row = source[:at].count(b"\n")
    col = at - (source.rfind(b"\n", 0, at) + 1)
    old.edit(start_byte=at, old_end_byte=at + 3, new_end_byte=at + 3,
             start_point=(row, col), old_end_point=(row, col + 3), new_end_point=(row, col + 3))
    assert str(p.parse(new_source, old).root_node) == str(parsing.parse(new_source).root_node)


def test_str_and_bytes_agree_and_bad_input_does_not_crash() -> None:
    assert str(parsing.parse("sr = 1\n").root_node) == str(parsing.parse(b"sr = 1\n").root_node)
    for junk in ("", "\x00\x01", "<CsoundSynthesizer", "instr", "}{][)(", "é = 1\n" * 3):
        tree = parsing.parse(junk)
        assert isinstance(parsing.problems(tree), list)


CSOUND_ALPHABET = list("()[]{}\",;\\\n\t :#$<>/=+-*^?.!~&|%@01289aikSpfgx_") + [
    "instr ", "endin\n", "opcode ", "endop\n", "if ", " then\n", "endif\n", "xin", "xout ",
    "<CsoundSynthesizer>", "<CsInstruments>", "</CsInstruments>", "<CsScore>", "i1 0 1\n",
    "{{", "}}", "/*", "*/", "#define ", "$M", "oscili", "kTime timeinsts\n", "label:\n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CSOUND_ALPHABET), max_size=80))
def test_any_input_parses_and_every_helper_answers(pieces: list[str]) -> None:
    tree = parsing.parse("".join(pieces))
    problems = parsing.problems(tree)
    assert all(p.start_byte <= p.end_byte for p in problems)
    parsing.instruments(tree)
    parsing.udos(tree)
    parsing.opcode_calls(tree)
    parsing.variables(tree)
    parsing.score_statements(tree)
    parsing.named_node_at(tree, (0, 0))


def test_missing_endif_and_od_close_at_the_enclosing_block_end() -> None:
    source = "instr 1\n if k1 > 0 then\n  a1 = 1\nendin\ninstr 2\n while 1 do\ninstr 3\nendin\n"
    tree = parsing.parse(source)
    assert [i.names for i in parsing.instruments(tree)] == [["1"], ["2"], ["3"]]
    messages = {(p.kind, p.start.row, p.message.split(" for ")[0]) for p in parsing.problems(tree)}
    assert messages == {("missing", 3, "missing endif"), ("missing", 6, "missing od"),
                        ("missing", 6, "missing endin")}


def test_stray_block_keywords_are_errors_not_opcodes() -> None:
    tree = parsing.parse("instr 1\n a1 = 1\n endif\nendin\nendin\n")
    assert [c.name for c in parsing.opcode_calls(tree)] == []
    assert [(p.kind, p.start.row) for p in parsing.problems(tree)] == [("error", 2), ("error", 4)]
    assert "'endif' without an open block" in parsing.problems(tree)[0].message


def test_equals_compares_inside_expressions_as_in_csound() -> None:
    tree = parsing.parse("instr 1\n if k1 = 0 kgoto skip\n k2 = (k1 = 1 ? 1 : 0)\nskip:\nendin\n")
    assert parsing.problems(tree) == []
    operators = [parsing.node_text(n.child_by_field_name("operator"))
                 for n in parsing.descendants(tree.root_node) if n.type == "binary_expression"]
    assert operators == ["=", "="]


def test_labels_passed_to_opcodes_are_not_variables() -> None:
    source = "instr 1\nstart:\n  reinit start\n  timout 0, 1, done\ndone:\n  k1 = kx\nendin\n"
    tree = parsing.parse(source)
    assert [(v.name, v.written) for v in parsing.variables(tree)] == [("k1", True), ("kx", False)]


def test_udo_without_inputs_after_an_output_is_the_opcode() -> None:
    source = "opcode Rnd, k, 0\n xout 1\nendop\ninstr 1\n kval Rnd\n out kval\nendin\n"
    tree = parsing.parse(source)
    call = next(c for c in parsing.opcode_calls(tree) if c.name == "Rnd")
    assert [parsing.node_text(o) for o in call.outputs] == ["kval"]
    assert ("kval", True) in {(v.name, v.written) for v in parsing.variables(tree)}
    assert "Rnd" not in {v.name for v in parsing.variables(tree)}


def test_file_kind_and_sections(tree: Tree) -> None:
    assert parsing.file_kind(tree) == "csd"
    orchestra, score = parsing.sections(tree)
    assert orchestra is not None and orchestra.type == "orchestra"
    assert score is not None and score.type == "score"
    assert parsing.file_kind(parsing.parse("i1 0 1\n")) == "score"
    assert parsing.file_kind(parsing.parse("sr = 48000\n")) == "orchestra"
    assert parsing.file_kind(parsing.parse("; nothing\n")) == "empty"
    assert parsing.sections(parsing.parse("i1 0 1\n"))[0] is None


@pytest.mark.parametrize(
    ("line", "column", "name", "index"),
    [
        ("  a1 oscili 0.5, 440, giSine", 13, "oscili", 0),
        ("  a1 oscili 0.5, 440, giSine", 18, "oscili", 1),
        ("  a1 oscili 0.5, 440, giSine", 24, "oscili", 2),
        ("  a1 = oscili:a(0.5, cpspch(p5))", 18, "oscili", 0),
        ("  a1 = oscili:a(0.5, cpspch(p5))", 29, "cpspch", 0),
        ("  a1 = oscili:a(0.5, cpspch(p5))", 21, "oscili", 1),
        ("  outs a1, ", 11, "outs", 1),
        ("  aL, aR pan2 asig, 0.5", 16, "pan2", 0),
        ("  aL, aR pan2 asig, 0.5", 22, "pan2", 1),
    ],
)
def test_call_at_gives_the_call_and_argument_index(
    line: str, column: int, name: str, index: int
) -> None:
    tree = parsing.parse(f"instr 1\n{line}\nendin\n")
    context = parsing.call_at(tree, (1, column))
    assert context is not None
    assert (context.call.name, context.argument_index) == (name, index)


def test_call_at_outside_any_call_is_none() -> None:
    tree = parsing.parse("instr 1\n  a1 oscili 0.5\nendin\n")
    assert parsing.call_at(tree, (1, 3)) is None
    assert parsing.call_at(tree, (0, 2)) is None
