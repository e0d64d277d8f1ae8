"""The render guard: which files the sandboxed render refuses, and the list derived from the
manual."""

from __future__ import annotations

from pathlib import Path

import pytest

from csound_assist.audio.guard import (
    FLOOR,
    RUNS_PROGRAMS,
    WRITES_FILES,
    derive,
    refusal,
    refused_opcodes,
)
from tests.helpers import csd

REFUSED = {"system_i": RUNS_PROGRAMS, "fout": WRITES_FILES}


def test_derived_list_covers_the_floor_for_every_documented_opcode() -> None:
    kb = pytest.importorskip("csound_assist.knowledge").load_knowledge_base()
    derived = derive(kb)
    documented = {n for n in FLOOR if (op := kb.get(n)) is not None and op.summary}
    assert documented, "the knowledge base documents none of the floor's opcodes"
    assert documented <= set(derived), sorted(documented - set(derived))
    # The derivation finds writers nobody listed by hand, and leaves readers and printers alone.
    assert derived.get("part2txt") == WRITES_FILES
    for harmless in ("prints", "printk", "fin", "readk", "soundin", "diskin2", "oscili", "outs"):
        assert harmless not in derived, harmless


def test_calls_are_found_in_every_form_and_comments_and_strings_are_not() -> None:
    assert refusal(csd('instr 1\n  ires system_i 1, "ls"\nendin'), refused=REFUSED) is not None
    text = csd('instr 1\n  ires = system_i(1, "ls")\nendin')
    line = text.split("\n").index('  ires = system_i(1, "ls")')
    found = refusal(text, refused=REFUSED)
    assert found is not None and found.name == "system_i" and found.line == line
    assert "runs external programs" in found.message() and f"line {line + 1}" in found.message()
    quiet = csd('instr 1\n  ; system_i 1, "rm"\n  prints "fout system_i"\n  /* fout */\nendin')
    assert refusal(quiet, refused=REFUSED) is None


def test_macros_options_and_includes(tmp_path: Path) -> None:
    glued = csd('#define S #sys#\ninstr 1\n  ires $S.tem_i 1, "ls"\nendin')
    assert refusal(glued, refused=REFUSED) is not None
    via_flag = csd("instr 1\n  $CMD 1, \"ls\"\nendin", options="--omacro:CMD=system_i -odac")
    assert refusal(via_flag, refused=REFUSED) is not None
    # An output file name in the options is not an opcode call.
    assert refusal(csd("instr 1\nendin", options="-o fout.wav"), refused=REFUSED) is None
    (tmp_path / "lib.inc").write_text('opcode Go, 0, 0\n  fout "x.wav", 14, a(0)\nendop\n')
    main = tmp_path / "main.csd"
    main.write_text(csd('#include "lib.inc"\ninstr 1\n  Go\nendin'))
    found = refusal(main.read_text(), main, refused=REFUSED)
    assert found is not None and found.file == "lib.inc" and found.line == 1


def test_license_and_score_text_are_not_scanned() -> None:
    text = csd("instr 1\nendin", sco="i 1 0 1 ; system_i") + "<CsLicense>system_i</CsLicense>\n"
    assert refusal(text, refused=REFUSED) is None


def test_effective_list_includes_the_floor() -> None:
    assert set(FLOOR) <= set(refused_opcodes())
