"""Structure-aware chunking over the real tree-sitter grammar (and its lexical stand-in)."""

from __future__ import annotations

import pytest

from csound_assist.retrieval import chunking
from csound_assist.retrieval.chunking import WHOLE_FILE_MAX_CHARS, chunk_file
from csound_assist.retrieval.enrich import Enricher

OPCODES = {"oscili", "moogladder", "vco2", "outs", "xin", "xout", "expon", "linen", "ftgen"}
is_opcode = OPCODES.__contains__

CSD = """<CsoundSynthesizer>
<CsOptions>
; Select audio/midi flags here according to platform
-odac
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1
giSine ftgen 0, 0, 8192, 10, 1

; doubles a signal
opcode Twice, a, a
  ain xin
  xout ain * 2
endop

; a filtered sawtooth
instr Bass
  asaw vco2 0.3, p4      ; "moog" ; in a comment is not code
  afil moogladder asaw, expon:k(8000, p3, 200), 0.7
  outs Twice(afil), afil
endin

instr 1, 2
  asig oscili linen:k(0.3, 0.01, p3, 0.1), p4, giSine
  outs asig, asig
endin
</CsInstruments>
<CsScore>
f 1 0 16384 10 1
i "Bass" 0 2 55
i 1 0 1 440
i 2 1 1 220
i 1.1 2 1 330
i . 3 1 330
e
</CsScore>
</CsoundSynthesizer>
"""


@pytest.fixture(params=["tree", "lexical"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "lexical":
        monkeypatch.setattr(chunking, "_parser", lambda: None)
    else:
        assert chunking._parser() is not None, "the tree-sitter grammar must be installed"
    return request.param


def by_id(chunks):
    return {c.id.split("#", 1)[1]: c for c in chunks}


def test_csd_is_cut_along_its_structure(mode: str) -> None:
    chunks = by_id(chunk_file("/x/song.csd", CSD, is_opcode=is_opcode))
    assert list(chunks) == [
        "file",
        "header",
        "udo:Twice",
        "instr:Bass",
        "instr:1,2",
        "ftables",
        "notes:Bass",
        "notes:1",
        "notes:2",
    ]
    assert chunks["file"].start_line == 1 and chunks["file"].end_line == CSD.count("\n") + 1
    header = chunks["header"]
    assert (header.start_line, header.end_line) == (7, 11) and "giSine ftgen" in header.text
    udo = chunks["udo:Twice"]
    assert (udo.kind, udo.name, udo.start_line, udo.end_line) == ("udo", "Twice", 13, 17)
    assert udo.comments == "doubles a signal" and udo.opcodes == ("xin", "xout")
    bass = chunks["instr:Bass"]
    assert (bass.start_line, bass.end_line) == (19, 24)
    assert bass.text.startswith("; a filtered sawtooth\ninstr Bass")
    assert bass.opcodes == ("vco2", "moogladder", "expon", "outs")  # not "moog" from a comment
    assert "a filtered sawtooth" in bass.comments
    assert chunks["instr:1,2"].opcodes == ("oscili", "linen", "outs")
    assert chunks["ftables"].text == "f 1 0 16384 10 1"
    notes = chunks["notes:1"]
    assert notes.text.splitlines() == ["i 1 0 1 440", "i 1.1 2 1 330", "i . 3 1 330"]
    assert (notes.start_line, notes.end_line) == (34, 37)
    # The whole file's comments leave out the CsOptions boilerplate.
    assert "Select audio" not in chunks["file"].comments
    assert "doubles a signal" in chunks["file"].comments


def test_ids_are_stable(mode: str) -> None:
    first = [c.id for c in chunk_file("/x/a.csd", CSD, is_opcode=is_opcode)]
    assert first == [c.id for c in chunk_file("/x/a.csd", CSD, is_opcode=is_opcode)]
    crlf = [c.id for c in chunk_file("/x/a.csd", CSD.replace("\n", "\r\n"), is_opcode=is_opcode)]
    assert crlf == first


def test_orchestra_score_and_udo_files(mode: str) -> None:
    orc = "gi1 init 0\ninstr 7\n a1 oscili 1, 1\n outs a1, a1\nendin\n"
    chunks = by_id(chunk_file("/x/a.orc", orc, is_opcode=is_opcode))
    assert set(chunks) == {"file", "header", "instr:7"}
    sco = "f 1 0 1024 10 1\ni 7 0 1\ni 7 1 1\n"
    assert set(by_id(chunk_file("/x/a.sco", sco, is_opcode=is_opcode))) == {
        "file",
        "ftables",
        "notes:7",
    }
    udo = "opcode Half, a, a\n ain xin\n xout ain/2\nendop\n"
    only = chunk_file("/x/lib.udo", udo, is_opcode=is_opcode)
    assert [c.id for c in only] == ["/x/lib.udo#udo:Half"]  # no whole-file duplicate


def test_duplicate_names_get_distinct_ids(mode: str) -> None:
    orc = "instr 1\n a1 oscili 1, 1\nendin\ninstr 1\n a1 vco2 1, 1\nendin\n"
    ids = [c.id for c in chunk_file("/x/d.orc", orc, is_opcode=is_opcode)]
    assert len(ids) == len(set(ids))
    assert "/x/d.orc#instr:1@4" in ids


def test_broken_file_still_yields_its_instruments() -> None:
    broken = CSD.replace("  outs asig, asig\n", "  outs asig, (asig\n  if then ]]\n")
    chunks = by_id(chunk_file("/x/broken.csd", broken, is_opcode=is_opcode))
    assert {"instr:Bass", "instr:1,2", "udo:Twice"} <= set(chunks)


def test_large_files_are_not_indexed_whole(mode: str) -> None:
    body = "".join(f"instr {i}\n a1 oscili 0.1, {i}\n outs a1, a1\nendin\n" for i in range(1, 400))
    assert len(body) > WHOLE_FILE_MAX_CHARS
    chunks = chunk_file("/x/big.orc", body, is_opcode=is_opcode)
    assert all(c.kind != "file" for c in chunks) and len(chunks) == 399


@pytest.mark.parametrize("text", ["", "\n\n", "\x00\x01garbage\xff", "<CsoundSynthesizer>"])
def test_degenerate_input_never_fails(text: str) -> None:
    for chunk in chunk_file("/x/odd.csd", text, is_opcode=is_opcode):
        assert chunk.text.strip()


def test_enrichment_header_bridges_english_and_code() -> None:
    summaries = {"moogladder": "Moog ladder lowpass filter.", "vco2": "Band-limited oscillator."}
    enricher = Enricher(lambda name: summaries.get(name, "" if name in OPCODES else None))
    bass = by_id(chunk_file("/x/song.csd", CSD, is_opcode=enricher.is_opcode))["instr:Bass"]
    header = enricher.enrich(bass).header
    assert header.splitlines()[0] == "song.csd: instrument Bass"
    assert "moogladder: Moog ladder lowpass filter." in header
    assert "vco2: Band-limited oscillator." in header
    assert "Comments: a filtered sawtooth" in header
    assert enricher.enrich(bass).indexed_text.startswith(header + "\n; a filtered")
