"""Code extraction from answers, fix regions, and the feedback log."""

import json

import pytest

from csound_assist.ai.extract import extract_code, extract_csd
from csound_assist.ai.feedback import FeedbackLog
from csound_assist.ai.fix import error_region
from csound_assist.ai.verify import parse_errors
from csound_assist.model.base import ModelInfo


def test_extract_code_prefers_csound_block():
    answer = "Intro\n```text\nno\n```\n```csound\ninstr 1\nendin\n```\nDone"
    assert extract_code(answer) == "instr 1\nendin"
    assert extract_code("```\nplain\n```") == "plain"
    assert extract_code("instr 1\nendin") == "instr 1\nendin"
    assert extract_code("```csound\nunterminated") == "unterminated"


def test_extract_csd():
    assert extract_csd("x <CsoundSynthesizer>a</CsoundSynthesizer> y") == (
        "<CsoundSynthesizer>a</CsoundSynthesizer>"
    )
    assert extract_csd("no document") is None


def test_error_region_is_the_enclosing_instrument():
    text = "sr = 44100\ninstr 1\n a1 oscilx 1, 1\nendin\ninstr 2\nendin\n"
    start, end = error_region(text, 2)
    assert text[start:end] == "instr 1\n a1 oscilx 1, 1\nendin\n"
    assert error_region(text, 0) == (0, len(text))
    assert error_region(text, None) == (0, len(text))


def test_parse_errors_joins_line_numbers():
    output = (
        "error:  \x1b[mUnable to find opcode entry for 'oscilx' with matching argument "
        "types:\nFound: a oscilx cc\nLine: 10\n"
    )
    assert parse_errors(output) == [
        "error: Unable to find opcode entry for 'oscilx' with matching argument types: (line 10)"
    ]


def test_feedback_log_round_trip(tmp_path):
    log = FeedbackLog(tmp_path / "fb.jsonl")
    info = ModelInfo(backend="llama-cpp", name="smollm2", version="abc123")
    log.record("inline", "accepted", info, chars=12)
    log.record("chat", "down", info)
    log.record("inline", "rejected", None)
    (tmp_path / "fb.jsonl").open("a").write("{torn line\n")
    lines = [json.loads(x) for x in (tmp_path / "fb.jsonl").read_text().splitlines()[:3]]
    assert lines[0]["model"] == "smollm2" and lines[0]["model_version"] == "abc123"
    assert lines[0]["detail"] == {"chars": 12}
    assert log.summary() == {
        "smollm2@abc123": {"accepted": 1, "down": 1},
        "unknown": {"rejected": 1},
    }
    with pytest.raises(ValueError):
        log.record("inline", "maybe")  # type: ignore[arg-type]
