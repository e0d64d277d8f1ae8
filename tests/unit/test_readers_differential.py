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
