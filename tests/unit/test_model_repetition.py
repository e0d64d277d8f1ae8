"""The degenerate-repetition detector: loops are caught early, real Csound is left alone."""

from __future__ import annotations

import glob

import pytest

from csound_assist.model.repetition import RepetitionGuard, repeating_tail

MANUAL = sorted(glob.glob("/usr/share/doc/csound-doc/html/examples/*.csd"))


def test_a_zero_one_loop_is_found_with_its_period():
    found = repeating_tail("instr 1\n  a1 oscili 0.3, 440\n" + "0 1 " * 80)
    assert found is not None and found.period == 4 and found.span >= 240


def test_repeated_score_lines_are_found():
    found = repeating_tail("<CsScore>\n" + "i 1 0 1 0.5 440\n" * 30)
    assert found is not None and found.period == 16


def test_the_shortest_period_wins():
    found = repeating_tail("ab" * 200)
    assert found is not None and found.period == 2


def test_blank_output_is_stuck_too():
    assert repeating_tail("instr 1\n" + "\n" * 300) is not None


@pytest.mark.parametrize(
    "text",
    [
        "f 1 0 64 -2 " + "0 " * 64,  # a written-out table of zeros
        "i 1 0 1\n" * 5,  # a few identical score lines
        "0 1 " * 50,  # 200 characters: below the span
        "",
    ],
)
def test_legitimate_repetition_passes(text: str):
    assert repeating_tail(text) is None


def test_a_unit_longer_than_the_max_period_is_not_reported():
    unit = "".join(chr(97 + (i * 7) % 26) for i in range(250)) + "\n"
    assert repeating_tail(unit * 10) is None
    assert repeating_tail(unit * 10, max_period=300) is not None


@pytest.mark.skipif(not MANUAL, reason="csound-doc's examples are not installed")
def test_no_prefix_of_a_manual_example_looks_stuck():
    # Every prefix (in steps of 40 characters) of the manual's ~1,300 examples: none may trip
    # the guard, or a real answer would be cut short.
    tripped = []
    for path in MANUAL:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for end in range(240, len(text) + 1, 40):
            if repeating_tail(text[:end]) is not None:
                tripped.append(f"{path}:{end}")
                break
    assert tripped == []


def test_the_guard_trips_once_while_streaming_and_stays_tripped():
    guard = RepetitionGuard(every=8)
    chunks = ["instr 1\n", "  a1 oscili 0.3, 440\n"] + ["0", " ", "1", " "] * 100
    tripped_at = None
    for i, chunk in enumerate(chunks):
        if guard.feed(chunk):
            tripped_at = i
            break
    assert tripped_at is not None and tripped_at < len(chunks) - 100
    assert guard.stuck and guard.found is not None and guard.found.period == 4
    assert guard.feed("anything")


def test_the_guard_keeps_quiet_on_a_real_answer():
    guard = RepetitionGuard(every=4)
    text = "<CsoundSynthesizer>\n<CsInstruments>\nsr = 44100\n" + "".join(
        f"instr {n}\n  a1 oscili 0.{n}, {220 * n}\n  outs a1, a1\nendin\n" for n in range(1, 30)
    )
    assert not any(guard.feed(text[i : i + 3]) for i in range(0, len(text), 3))
