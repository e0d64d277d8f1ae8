"""Dataset pieces against the real manual and compiler: sources, mutations, dedup, formats."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from training.build_data import Drafter, split_of, verify
from training.compiler import Checker, clean_message, run_check
from training.config import config_from_dict
from training.dedup import near_duplicates
from training.formats import chatml_prompt, extract_code, fim_prompt, training_pair
from training.mutations import CATALOGUE, plant
from training.sources import (
    ExampleFile,
    csd_sections,
    make_csd,
    orchestra_blocks,
    parse_manual_page,
    read_opcode_docs,
)

MANUAL = Path("/usr/share/doc/csound-doc/html")
needs_manual = pytest.mark.skipif(
    not (MANUAL / "moogladder.html").exists(), reason="Csound manual not installed"
)
needs_csound = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")

INSTR = """instr 1
  kenv linseg 0, 0.1, 1, p3 - 0.1, 0
  asig oscili 0.5 * kenv, 440, 1
  afil moogladder asig, 2000, 0.3
  outs afil, afil
endin"""
OPCODES = {"linseg", "oscili", "moogladder", "outs"}


@needs_manual
def test_manual_page_parses_syntax_params_and_example() -> None:
    doc = parse_manual_page((MANUAL / "moogladder.html").read_text(encoding="utf-8"))
    assert doc is not None and doc.name == "moogladder"
    assert doc.summary == "Moog ladder lowpass filter."
    assert "asig moogladder ain, kcf, kres[, istor]" in doc.syntax
    assert "istor" in doc.params and "initial disposition" in doc.params["istor"]
    assert doc.example == "examples/moogladder.csd"


@needs_manual
def test_non_opcode_pages_are_skipped() -> None:
    assert parse_manual_page((MANUAL / "index.html").read_text(encoding="utf-8")) is None


def test_csd_sections_and_blocks() -> None:
    csd = make_csd("sr = 44100\n" + INSTR, "i 1 0 1")
    parts = csd_sections(csd)
    assert parts is not None and parts["score"].strip() == "i 1 0 1"
    header, blocks = orchestra_blocks(parts["orchestra"])
    assert "sr = 44100" in header and blocks == [INSTR]
    assert csd_sections("just text") is None


@needs_csound
def test_compiler_accepts_good_and_reports_bad_code() -> None:
    assert run_check(make_csd(INSTR)).ok
    bad = run_check(make_csd(INSTR.replace("oscili", "oscilli")))
    assert not bad.ok
    assert "oscilli" in bad.message and "input.csd" in bad.message
    assert "Elapsed time" not in bad.message and "\x1b" not in bad.message


def test_clean_message_drops_banners() -> None:
    raw = "UnifiedCSD:  input.csd\nerror: syntax error\n\x1b[m line 3\nElapsed time at end: 0.1\n"
    assert clean_message(raw) == "error: syntax error\n line 3"


@needs_csound
@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_each_mutation_breaks_compilation_when_it_applies(kind: str) -> None:
    block = INSTR.replace("440, 1", '440, 1\n  Sname = "tone"\n  kx = (kenv + 1) * 2')
    assert run_check(make_csd(block)).ok
    m = CATALOGUE[kind](block, random.Random(3), OPCODES | {"linseg"})
    assert m is not None and m.broken != block and m.explanation
    if kind != "wrong-rate":  # the compiler decides; the pipeline drops survivors
        assert not run_check(make_csd(m.broken)).ok, m.broken


def test_plant_returns_distinct_kinds() -> None:
    muts = plant(INSTR, random.Random(1), OPCODES, 3)
    assert len(muts) == 3 and len({m.kind for m in muts}) == 3


def test_near_duplicates_drop_copies_but_keep_distinct_texts() -> None:
    a = INSTR + "\n" + INSTR.replace("instr 1", "instr 2").replace("2000", "3000")
    b = a.replace("440", "441", 1)
    c = "instr 2\n kenv madsr 0.1, 0.2, 0.6, 0.3\n a1 vco2 kenv, 220\n out a1\nendin"
    assert near_duplicates([a, a, b, c], threshold=0.8) == {1, 2}


def test_split_is_stable_and_by_source() -> None:
    assert split_of("manual:oscil.csd", 0.2, 1) == split_of("manual:oscil.csd", 0.2, 1)
    splits = {split_of(f"manual:f{i}.csd", 0.2, 1) for i in range(200)}
    assert splits == {"train", "eval"}


def test_formats() -> None:
    msgs = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "U"},
        {"role": "assistant", "content": "A"},
    ]
    assert (
        chatml_prompt(msgs)
        == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    )
    toks = {"prefix": "<P>", "suffix": "<S>", "middle": "<M>"}
    assert fim_prompt("a\n", "c", toks) == "<P>a\n<S>c<M>"
    row = {"messages": msgs, "fim_prefix": "a\n", "fim_suffix": "c", "fim_middle": "b\n"}
    assert training_pair(row, toks, "<eos>") == ("<P>a\n<S>c<M>", "b\n<eos>")
    assert extract_code("Fix:\n```csound\ninstr 1\nendin\n```\nDone") == "instr 1\nendin"
    assert extract_code("no fence") == "no fence"


@needs_manual
@needs_csound
def test_drafts_from_a_manual_example_verify_with_real_messages(tmp_path: Path) -> None:
    cfg = config_from_dict({"data": {"mutations_per_file": 2, "fim_per_file": 1}})
    docs = [
        d
        for d in read_opcode_docs(MANUAL, prefer_kb=False)
        if d.name in {"moogladder", "buzz", "expseg", "line", "outs"}
    ]
    path = MANUAL / "examples" / "moogladder.csd"
    moog = next(d for d in docs if d.name == "moogladder")
    drafter = Drafter(cfg, docs)
    drafts = drafter.from_file(ExampleFile(path, path.read_text(), "manual:moogladder.csd", moog))
    cats = {d.category for d in drafts}
    assert {"csd", "score", "instrument", "explain", "complete", "bugfix"} <= cats
    kept, _ = verify(drafts, Checker(tmp_path / "cache.jsonl", workers=4))
    fixes = [d for d in kept if d.category == "bugfix"]
    assert fixes and all("{message}" not in d.user and "error" in d.user.lower() for d in fixes)
    assert any("moogladder" in d.user for d in kept if d.category == "instrument")


def test_blocks_are_the_outlines_not_text_in_strings_or_comments() -> None:
    """`instr`/`endin` inside a {{…}} string (compilestr) or a block comment open no block."""
    outer = ("instr 1\n  ires compilestr {{\ninstr 2\n a1 oscils p4, p5, 0\n out a1\nendin\n}}\n"
             "  print ires\nendin")
    orchestra = "sr = 44100\n/*\ninstr 9\nendin\n*/\n" + outer + "\n"
    header, blocks = orchestra_blocks(orchestra)
    assert blocks == [outer]
    assert "sr = 44100" in header and "compilestr" not in header
    parts = csd_sections(make_csd("; the notes go in <CsScore> below\n" + INSTR, "i 1 0 1"))
    assert parts is not None and INSTR.strip() in parts["orchestra"]
