"""The model-quality benchmark's own measures: the cuts it makes, the errors it plants (real
csound says each breaks the file), edit similarity, and which named opcodes count."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import model_quality as mq  # noqa: E402

from csound_assist.ai.verify import check_csd  # noqa: E402
from csound_assist.config import Config  # noqa: E402


def test_cuts_sit_three_characters_into_real_lines():
    chosen = mq.cuts(10)
    assert len(chosen) == 10 and len({c.file for c in chosen}) == len(mq.files())
    for cut in chosen:
        line_start = cut.text.rfind("\n", 0, cut.offset) + 1
        line_end = cut.text.find("\n", cut.offset)
        line = cut.text[line_start:line_end]
        assert line.lstrip() == cut.text[cut.offset - 3 : cut.offset]  # the rest is held out
        original = (mq.DATA / "files" / cut.file).read_text()
        assert cut.text[: cut.offset] + cut.expected + cut.text[cut.offset :] == original


def test_every_planted_error_breaks_a_file_that_compiled():
    config = Config()
    planted = mq.planted(16)
    assert {p.kind for p in planted} == {
        "unbalanced paren", "undefined variable", "misspelt opcode", "missing endin"
    }

    async def verdicts() -> list[bool]:
        return [(await check_csd(p.text, config)).ok for p in planted]

    originals = [(await_ok(path.read_text())) for path in mq.files()]
    assert all(originals)
    assert not any(asyncio.run(verdicts()))


def await_ok(text: str) -> bool:
    return asyncio.run(check_csd(text, Config())).ok


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [("", "", 1.0), ("abc", "abc", 1.0), ("abc", "abd", 2 / 3), ("abc", "", 0.0),
     ("kitten", "sitting", 1 - 3 / 7)],
)
def test_similarity_is_one_minus_normalised_levenshtein(a: str, b: str, want: float):
    assert mq.similarity(a, b) == pytest.approx(want)


def test_named_opcodes_are_backticked_known_ones_and_invented_lookalikes():
    known = {"oscili", "linseg", "outs"}
    answer = "`oscili` reads `giSine`; `kenv` comes from `linseg`; `oscilx3` is used; `a1`."
    real, unknown = mq.named_opcodes(answer, known)
    assert real == ["oscili", "linseg"]
    assert unknown == ["oscilx3"]  # giSine, kenv and a1 are variables, not claims about opcodes
