"""Csound 7 syntax (tests/data/csound7/, one file per construct): the grammar parses it, the
outline reads rates from annotations and knows new-style UDO parameters, hover and completion and
go-to-definition work on typed names, and the static checks raise no false errors — with Csound
6.x installed, one note says the file needs Csound 7 instead of the compiler's errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from csound_assist import parsing
from csound_assist.diagnostics import Code, CompilerChecker, csound7, merge, static_checks
from csound_assist.diagnostics.opcodes import default_table
from csound_assist.features import completion, definition, hover
from csound_assist.features.analysis import Outline, build_outline
from csound_assist.features.document import Document, Pos
from csound_assist.lsp.documents import make_parse_fn

DATA = Path(__file__).resolve().parent.parent / "data" / "csound7"
FILES = sorted(DATA.iterdir())
MANUAL_EXAMPLES = Path("/usr/share/doc/csound-doc/html/examples")


@pytest.fixture(scope="module")
def kb():
    from csound_assist.knowledge import load_knowledge_base

    return load_knowledge_base()


def _doc(path: Path, tree: bool = True) -> Document:
    return Document.from_path(path, parse_fn=make_parse_fn() if tree else None)


def _pos(doc: Document, needle: str, offset: int = 0) -> Pos:
    """Where `needle` first occurs (plus `offset` characters)."""
    for i, line in enumerate(doc.text.split("\n")):
        col = line.find(needle)
        if col >= 0:
            return Pos(i, col + offset)
    raise AssertionError(f"{needle!r} not in {doc.uri}")


# ------------------------------------------------------------------------------------ grammar


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_csound7_files_parse_without_errors(path: Path) -> None:
    tree = parsing.parse(path.read_bytes())
    assert not tree.root_node.has_error
    assert parsing.problems(tree) == []


def test_the_tree_shows_each_construct() -> None:
    def types_in(name: str) -> set[str]:
        tree = parsing.parse((DATA / name).read_bytes())
        return {n.type for n in parsing.descendants(tree.root_node)}

    assert {"struct_definition", "struct_member", "member_access", "member_expression"} <= types_in(
        "structs.csd")
    assert {"switch_statement", "case_clause", "default_clause"} <= types_in("switch.csd")
    assert {"for_statement", "array_literal"} <= types_in("for_in.csd")
    assert {"global_scope", "boolean"} <= types_in("typed_names.csd")
    assert {"parameter_list", "parameter"} <= types_in("udo_new.csd")


def test_open_csound7_blocks_are_reported() -> None:
    tree = parsing.parse(b"instr 1\n  switch p4\n    case 1\n      prints \"a\"\nendin\n"
                         b"instr 2\n  for x in arr do\nendin\n")
    messages = [p.message for p in parsing.problems(tree)]
    assert any("missing endsw" in m for m in messages), messages
    assert any("missing od" in m for m in messages), messages


def test_untyped_udo_parameters_take_their_prefix_rate() -> None:
    tree = parsing.parse(b"opcode Mix(aSig, kVals[], amt:k, thing):a\nendop\n")
    (udo,) = parsing.udos(tree)
    assert (udo.inputs, udo.outputs) == ("ak[]k?", "a")
    (void,) = parsing.udos(parsing.parse(b"opcode Say(msg:S):void\nendop\n"))
    assert void.outputs == ""


# ------------------------------------------------------------------------------------ outline


@pytest.mark.parametrize("tree", [True, False], ids=["tree", "lines"])
def test_rates_come_from_annotations(kb, tree: bool) -> None:
    outline: Outline = build_outline(_doc(DATA / "typed_names.csd", tree), kb)
    line = _pos(_doc(DATA / "typed_names.csd", False), "outs wave").line
    assert outline.variable("key", line).rate == "i"  # `key` would be no rate by its name
    assert outline.variable("wave", line).rate == "a"
    assert outline.variable("env", line).rate == "k"
    assert outline.variable("ok", line).rate == "b"
    assert outline.variable("chord", line).type == "i[]"
    # `level@global:i` is a global although its name has no g; `bus += wave` writes the global.
    for name, rate in (("level", "i"), ("counter", "k"), ("bus", "a")):
        var = outline.variable(name, line)
        assert var.is_global and var.rate == rate, name


@pytest.mark.parametrize("tree", [True, False], ids=["tree", "lines"])
def test_new_style_udo_parameters_are_variables(kb, tree: bool) -> None:
    doc = _doc(DATA / "udo_new.csd", tree)
    outline = build_outline(doc, kb)
    boost = outline.udos()["Boost"]
    assert (boost.in_types, boost.out_types, boost.arg_names) == ("ak", "a", ["aIn", "kAmt"])
    assert outline.udos()["Soften"].in_types == "akO"
    assert outline.udos()["Stereo"].out_types == "aa"
    body = _pos(doc, "xout aIn * kAmt").line
    kamt = outline.variable("kAmt", body)
    assert kamt is not None and kamt.rate == "k" and kamt.definition.line == boost.start_line


@pytest.mark.parametrize("tree", [True, False], ids=["tree", "lines"])
def test_for_loop_variables(kb, tree: bool) -> None:
    doc = _doc(DATA / "for_in.csd", tree)
    outline = build_outline(doc, kb)
    line = _pos(doc, "print total").line
    assert outline.variable("note", line).rate == "i"
    assert outline.variable("lvl", line).rate == "k"
    assert outline.variable("n", line).rate == "i"  # untyped: the array's element type


def test_struct_typed_variables(kb) -> None:
    doc = _doc(DATA / "structs.csd")
    outline = build_outline(doc, kb)
    line = _pos(doc, "print first.note").line
    first = outline.variable("first", line)
    assert (first.type, first.rate) == ("Step", "")
    assert outline.variable("steps", line).type.startswith("Step")


# --------------------------------------------------------------------------- editor features


def test_go_to_definition_on_a_new_style_udo_parameter(kb) -> None:
    doc = _doc(DATA / "udo_new.csd")
    use = _pos(doc, "xout aIn * kAmt", len("xout aIn * k"))
    (loc,) = definition.definition(doc, kb, use)
    header = _pos(doc, "opcode Boost(")
    assert loc.range.start.line == header.line
    assert doc.text.split("\n")[header.line][loc.range.start.character:].startswith("kAmt")


def test_hover_on_typed_names(kb) -> None:
    doc = _doc(DATA / "typed_names.csd")
    text = hover.hover(doc, kb, _pos(doc, "wave *= 0.5", 1))
    assert text is not None and "audio-rate" in text.contents.value
    text = hover.hover(doc, kb, _pos(doc, "bus += wave", 1))
    assert text is not None and "global" in text.contents.value
    structs = _doc(DATA / "structs.csd")
    text = hover.hover(structs, kb, _pos(structs, "print first.note", len("print f")))
    assert text is not None and "`Step`" in text.contents.value


def test_completion_knows_typed_names_and_their_rates(kb) -> None:
    source = (DATA / "typed_names.csd").read_text().replace("  outs wave, wave\n",
                                                            "  outs wave, wave\n  loud:k = \n")
    doc = Document.from_text("file:///t.csd", source, parse_fn=make_parse_fn())
    at = _pos(doc, "  loud:k = ", len("  loud:k = "))
    items = {i.label: i for i in completion.complete(doc, kb, at).items}
    assert "wave" in items and items["wave"].detail.startswith("a-rate local")
    assert "level" in items and items["level"].detail.startswith("i-rate global")
    # An output typed `:a` asks for opcodes that can output audio.
    typing = Document.from_text("file:///u.csd", source.replace("  loud:k = \n", "  hum:a \n"),
                                parse_fn=make_parse_fn())
    names = {i.label for i in completion.complete(typing, kb, _pos(typing, "  hum:a ", 8)).items}
    assert "vco2" in names and "linseg" in names and "rms" not in names


# ---------------------------------------------------------------------------- static checks


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_false_static_errors(path: Path) -> None:
    diags = static_checks(path.read_text(), path)
    notes = [d for d in diags if d.code == Code.CSOUND7_SYNTAX]
    others = [(d.range.start.line + 1, d.code, d.message) for d in diags if d not in notes]
    assert others == []
    if csound7.installed_major(default_table().version) == 6:
        assert len(notes) == 1


def test_the_note_names_the_first_construct_and_the_version() -> None:
    (note,) = csound7.check((DATA / "structs.csd").read_bytes(), "6.18 (double samples)")
    assert note.severity == lsp.DiagnosticSeverity.Warning
    assert "a struct definition `struct Step note:i, vel:i, name:S`" in note.message
    assert "line 11" in note.message and "Csound is 6.18," in note.message
    assert note.range.start.line == 10
    (typed,) = csound7.check(b"instr 1\n  freq:i = p4\nendin\n", "6.18")
    assert "a typed variable `freq:i`" in typed.message and typed.range.start.character == 2
    assert list(csound7.check((DATA / "structs.csd").read_bytes(), "7.0.1")) == []
    assert list(csound7.check((DATA / "structs.csd").read_bytes(), "")) == []


def test_csound6_code_gets_no_note() -> None:
    csound6 = (b"instr 1\n  aSig oscili 0.5, 440\n  kArr[] fillarray 1, 2\n  iv = kArr[0]\n"
               b"  ; freq:i = 1 in a comment\n  prints \"switch: %d\", 1\nendin\n")
    assert csound7.first_construct(csound6) is None


@pytest.mark.slow
def test_no_manual_example_reads_as_csound7() -> None:
    examples = sorted(MANUAL_EXAMPLES.glob("*.csd"))
    if not examples:
        pytest.skip("Csound manual examples not installed")
    flagged = [(p.name, c) for p in examples if (c := csound7.first_construct(p.read_bytes()))]
    assert flagged == []


@pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
async def test_compiler_errors_collapse_into_the_note(tmp_path: Path) -> None:
    version = default_table().version
    if csound7.installed_major(version) != 6:
        pytest.skip(f"needs Csound 6, found {version!r}")
    path = tmp_path / "udo_new.csd"
    path.write_text((DATA / "udo_new.csd").read_text())
    compiled = await CompilerChecker().check(str(path), path.read_text(), path)
    assert any(d.severity == lsp.DiagnosticSeverity.Error for d in compiled), "csound 6 rejects it"
    merged = merge(compiled, static_checks(path.read_text(), path))
    assert [d.code for d in merged] == [Code.CSOUND7_SYNTAX]
    assert re.search(r"csound reports \d+ errors? here, not listed; the first, at line \d+",
                     merged[0].message)


# ------------------------------------------------------------------- renamed legacy opcodes

RENAMED = "instr 1\n  aIn = 0\n  aOut zdfladder aIn, 1000, 5\n  aL = zdf_ladder(aIn, 1000, 5)\n" \
          "  outs aOut, aL\nendin\n"


def test_the_rename_catalog() -> None:
    from csound_assist.knowledge import csound7_names

    assert len(csound7_names._renames()) == 209  # the catalog's own count
    zdf = csound7_names.renamed("zdf_ladder")
    assert zdf is not None and zdf.is_alias and zdf.new == "zdfladder"
    outs = csound7_names.renamed("outs")
    assert outs is not None and not outs.is_alias and outs.new == "out"
    assert csound7_names.renamed("oscili") is None
    assert csound7_names.legacy_names("lag") == ["sc_lag", "sclag"]


def test_hover_knows_both_names(kb) -> None:
    if "zdf_ladder" not in kb.opcodes or "zdfladder" in kb.opcodes:
        pytest.skip("needs a Csound with zdf_ladder but not zdfladder (6.x)")
    doc = Document.from_text("file:///r.orc", RENAMED, kind="orc", parse_fn=make_parse_fn())
    new = hover.hover(doc, kb, _pos(doc, "zdfladder", 2)).contents.value
    assert new.startswith("**zdfladder** — Csound 7's name for `zdf_ladder`")
    assert "asig zdf_ladder ain, xcf, xQ" in new  # the installed opcode's syntax
    old = hover.hover(doc, kb, _pos(doc, "zdf_ladder(", 2)).contents.value
    assert "Csound 7 name: `zdfladder`" in old
    legacy = hover.hover(doc, kb, _pos(doc, "outs ", 1)).contents.value
    assert "Deprecated in Csound 7: use `out`" in legacy


def test_completion_offers_the_csound7_names(kb) -> None:
    if "zdf_ladder" not in kb.opcodes or "zdfladder" in kb.opcodes:
        pytest.skip("needs a Csound with zdf_ladder but not zdfladder (6.x)")
    doc = Document.from_text("file:///c.orc", "instr 1\n  aX zdf\nendin\n", kind="orc",
                             parse_fn=make_parse_fn())
    items = {i.label: i for i in completion.complete(doc, kb, Pos(1, 8)).items}
    assert "zdf_ladder" in items and "zdfladder" in items
    assert items["zdfladder"].detail.startswith("Csound 7 name of zdf_ladder")
    assert items["zdfladder"].sort_text > items["zdf_ladder"].sort_text


def test_a_csound7_name_in_a_csound6_file_says_what_to_write() -> None:
    if "zdfladder" in default_table() or "zdf_ladder" not in default_table():
        pytest.skip("needs a Csound with zdf_ladder but not zdfladder (6.x)")
    diags = [d for d in static_checks(RENAMED, "r.orc") if d.code == Code.UNKNOWN_OPCODE]
    assert len(diags) == 1
    assert "'zdfladder' is Csound 7's name for 'zdf_ladder'" in diags[0].message
    (fix,) = [f for f in diags[0].data["fixes"] if f["preferred"]]
    assert fix["edits"][0]["newText"] == "zdf_ladder"
    # In a Csound 7 file the new name is right: the one note covers the file.
    typed = RENAMED.replace("  aIn = 0", "  aIn:a = 0")
    assert [d.code for d in static_checks(typed, "r.orc")
            if d.code == Code.UNKNOWN_OPCODE] == []


def test_csound7_opcodes_in_a_csound6_file() -> None:
    if "create" in default_table():
        pytest.skip("the installed Csound has Csound 7's opcodes")
    text = "instr 1\n  kOsc = 1\n  delete kOsc\nendin\n"
    (diag,) = [d for d in static_checks(text, "d.orc") if d.code == Code.UNKNOWN_OPCODE]
    assert diag.message.startswith("'delete' is new in Csound 7")
    # In Csound 7 syntax they are opcodes like any other (tests/data/csound7/objects.orc).
    typed = text.replace("kOsc = 1", "osc:Opcode = create(oscili)").replace("kOsc", "osc")
    assert [d.code for d in static_checks(typed, "d.orc")] == [Code.CSOUND7_SYNTAX]


def test_rename_a_typed_name_to_any_name(kb) -> None:
    from csound_assist.features import rename

    doc = _doc(DATA / "typed_names.csd")
    edit = rename.rename(doc, kb, _pos(doc, "wave *= 0.5", 1), "tone2")
    spans = {(e.range.start.line, e.range.start.character) for e in edit.changes[doc.uri]}
    assert (_pos(doc, "wave:a =").line, 2) in spans and len(spans) >= 4
    with pytest.raises(rename.RenameError):  # a prefix name still keeps its prefix's rate
        udo = _doc(DATA / "udo_new.csd")
        rename.rename(udo, kb, _pos(udo, "kDrive) * ceiling", 1), "drive")


def test_inline_completion_filter_reads_csound7_lines() -> None:
    from csound_assist.ai.postfilter import block_end, unknown_opcodes

    known = {"oscili", "pan2", "init", "genarray"}
    suggestion = ("note:Note init 60, 0\n  left:a, right:a pan2 sig, 0.5\n"
                  "  vals:k[] = genarray:k[](0, 10)\n  steps[0].note init 3\n")
    assert unknown_opcodes(suggestion, known) == set()
    assert unknown_opcodes("  n:Note frobnicate 1\n", known) == {"frobnicate"}
    # `for … od` and `switch … endsw` inside the suggestion are balanced, not its end.
    body = 'for x in arr do\n  prints "a"\nod\nswitch p4\ncase 1\nendsw\nendin\n'
    assert block_end(body, already_open=1) == len(body)


def test_typed_names_are_locals_for_the_checks() -> None:
    text = "instr 1\n  print freq\n  freq:i = p4\n  spare:k = 1\n  q:k = 2\n  printk2 q\nendin\n"
    found = {(d.range.start.line, str(d.code)) for d in static_checks(text, "t.orc")}
    assert (1, Code.USED_BEFORE_ASSIGNED) in found  # `freq` read before `freq:i = p4`
    assert (3, Code.UNUSED_VARIABLE) in found  # `spare` never read
    assert (4, Code.UNUSED_VARIABLE) not in found  # `q` is read (a score letter, not an opcode)


@pytest.mark.parametrize("tree", [True, False], ids=["tree", "lines"])
def test_struct_members_in_the_outline(kb, tree: bool) -> None:
    doc = _doc(DATA / "structs.csd", tree)
    outline = build_outline(doc, kb)
    assert [(t.text, typ) for t, typ in outline.structs["Step"]] == [
        ("note", "i"), ("vel", "i"), ("name", "S")]
    assert [(t.text, typ) for t, typ in outline.structs["Mixed"]] == [
        ("kgain", "k"), ("ipan", "i"), ("level", "k")]
    line = _pos(doc, "print first.note").line
    assert outline.member_type("pat.steps[1]", line) == "Step"
    assert outline.member_type("pat.steps", line) == "Step[]"
    assert outline.member_type("first.vel", line) == "i"
    assert outline.member_type("first.nothing", line) is None


def test_member_completion_and_hover(kb) -> None:
    source = (DATA / "structs.csd").read_text().replace(
        "  print first.note, freq\n", "  print first.note, freq\n  kz = pat.steps[0].\n")
    doc = Document.from_text("file:///m.csd", source, parse_fn=make_parse_fn())
    at = _pos(doc, "  kz = pat.steps[0].", len("  kz = pat.steps[0]."))
    items = completion.complete(doc, kb, at).items
    assert [i.label for i in items] == ["note", "vel", "name"]
    assert items[0].detail == "note:i — member of Step"
    text = hover.hover(doc, kb, _pos(doc, "pat.steps[1].vel", len("pat.steps[1].v"))).contents
    assert text.value.startswith("**vel** — member of struct `Step`, type `i`")


def test_structs_are_symbols(kb) -> None:
    from csound_assist.features import symbols

    doc = _doc(DATA / "structs.csd")
    found = {s.name: s for s in _walk(symbols.document_symbols(doc, kb))}
    step = found["struct Step"]
    assert step.kind == lsp.SymbolKind.Struct
    assert [(c.name, c.detail) for c in step.children] == [("note", "i"), ("vel", "i"),
                                                           ("name", "S")]
    ws = symbols.workspace_symbols([doc], "pattern", kb)
    assert [w.name for w in ws] == ["struct Pattern"]


def _walk(items):
    for item in items:
        yield item
        yield from _walk(item.children or [])


def test_textmate_patterns_for_csound7() -> None:
    import json

    grammar = json.loads((Path(__file__).resolve().parents[2] / "grammar" / "textmate" /
                          "csound.tmLanguage.json").read_text())
    repo = grammar["repository"]

    def first(key: str, needle: str) -> re.Pattern[str]:
        return re.compile(next(p["match"] for p in repo[key]["patterns"]
                               if needle in p.get("comment", "") or needle in p.get("name", "")))

    typed = first("variables", "typed name")
    assert typed.search("amp@global:k init 0").groups() == ("amp", "@global", ":", "k")
    assert typed.search("arr:i[] = [1]").group(4) == "i[]"
    assert typed.search("x = linen:a(1, 0, p3, .01)") is None  # a call type, not a declaration
    assert typed.search("loop: kx = 1") is None  # a label
    member = first("variables", "struct member")
    assert member.search("a = ns[0].vel").group(2) == "vel" and member.search("x = 1.5") is None
    udo = first("blocks", "opcode Name(")
    m = udo.match("opcode Sine(amp:k, freq:k):(a,a)")
    assert (m.group(2), m.group(4), m.group(7)) == ("Sine", "amp:k, freq:k", "(a,a)")
    loop = first("control", "for x")
    assert loop.search("  for note:i, n:i in notes do").group(3) == "in"
    assert loop.search("  ain in") is None  # `in` the opcode


def test_unknown_opcodes_in_a_csound7_file_are_warnings() -> None:
    if csound7.installed_major(default_table().version) != 6:
        pytest.skip("needs Csound 6")
    text = "instr 1\n  level:k = 1\n  exitnowk(-1)\n  printk2 level\nendin\n"
    (diag,) = [d for d in static_checks(text, "u.orc") if d.code == Code.UNKNOWN_OPCODE]
    assert diag.severity == lsp.DiagnosticSeverity.Warning
    assert "or an opcode of Csound 7" in diag.message
    assert not any(f["preferred"] for f in (diag.data or {}).get("fixes", []))
    plain = text.replace("level:k = 1", "klevel = 1").replace("printk2 level", "printk2 klevel")
    (diag6,) = [d for d in static_checks(plain, "u.orc") if d.code == Code.UNKNOWN_OPCODE]
    assert diag6.severity == lsp.DiagnosticSeverity.Error
