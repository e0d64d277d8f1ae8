"""The opcode table's form matching against the installed Csound's own forms (`csound -z1`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csound_assist.diagnostics import Code, static_checks
from csound_assist.diagnostics.opcodes import default_table
from tests.helpers import csd

pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")


@pytest.mark.parametrize(
    ("name", "n_out", "n_in", "rates"),
    [
        ("delayr", 1, 1, ["a"]),  # adel delayr 1: outputs `aX`, X an open list, here empty
        ("maxarray", 1, 1, ["i"]),  # imax maxarray iArr: `iI`, the index output left out
        ("init", 2, 2, ["i", "i"]),  # i1, i2 init 1, 2: a run of 24 `I`
        ("date", 1, 0, ["i"]),  # iNow date: `iI`
        ("pvstanal", 2, 4, ["f", "f"]),  # fs1, fs2 pvstanal k, k, k, k: a run of 16 `F`
    ],
)
def test_open_output_lists_take_any_number_of_outputs(
    name: str, n_out: int, n_in: int, rates: list[str | None]
) -> None:
    assert default_table().fits(name, n_out, n_in, rates), default_table().forms[name]


def test_outputs_past_a_run_of_an_open_list_letter_have_its_rates() -> None:
    table = default_table()
    assert table.output_rates("delayr", 2) == {"a", "k", "i"}  # `aX`
    assert table.output_rates("pvstanal", 16) == {"f"}  # 16 `F`, then more of the same


@pytest.mark.parametrize(
    ("name", "n_out", "n_in"),
    [("print_type", 0, 0), ("print_type", 0, 2), ("lenarray", 1, 0), ("lenarray", 1, 3)],
)
def test_an_any_type_argument_is_one_required_argument(name: str, n_out: int, n_in: int) -> None:
    # `.` is "a required argument of any type" (Csound's Engine/entry1.c), not an open list.
    assert not default_table().fits(name, n_out, n_in, [None] * n_out)


def test_a_typo_of_delayr_suggests_it_among_the_first() -> None:
    text = csd("instr 1\n  adel delayt 1\n  aout deltap 0.1\n  delayw aout\n  out aout\nendin")
    [d] = [d for d in static_checks(text, Path("t.csd")) if d.code == Code.UNKNOWN_OPCODE]
    first_three = d.message.split("did you mean ")[1]
    assert "'delayr'" in first_three, d.message
