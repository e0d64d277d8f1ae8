"""The repair loop between the model and the real compiler (issue 14): the first error goes back
with its line and that line's text, never a banner line; mechanical problems are fixed without a
model round; a repeated answer is not compiled again and the next request varies; globals of a
partly copied example are copied from it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from csound_assist.ai.borrow import borrow_globals
from csound_assist.ai.generate import generate_csd
from csound_assist.ai.verify import check_csd, parse_errors
from csound_assist.config import Config
from csound_assist.model import Message, ModelService, Sampling
from csound_assist.prompts.templates import Source
from tests.helpers import FakeBackend, csd

needs_csound = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
DATA = Path(__file__).resolve().parent.parent / "data" / "ai_stderr"
BANNER = ("UnifiedCSD", "Elapsed time", "errors in performance", "overall", "no sound")


class Recording(FakeBackend):
    """Answers from a script; records each request's messages and sampling."""

    name = "recording"

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[list[Message], Sampling]] = []

    async def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        self.requests.append((list(messages), sampling))
        yield self.answers.pop(0) if self.answers else ""

    async def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        yield ""


class CountingCheck:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.texts: list[str] = []

    async def __call__(self, text: str):  # noqa: ANN204
        self.texts.append(text)
        return await check_csd(text, self.config)


# --- the error extractor on real csound output ---------------------------------------------------

EXPECTED_FIRST = {
    "xmlinstr": ("unexpected S_LT", 10),
    "undef": ("giwave", 11),
    "paren": ("unexpected ','", 11),
    "upper": ("Could not find <CsoundSynthesizer>", None),
    "oneline": ("too many arguments", None),
    "lowerall": ("unknown CSD tag: <csInstruments>", None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FIRST))
def test_parse_errors_on_real_stderr_ignores_banner_lines(name: str) -> None:
    raw = (DATA / f"{name}.stderr").read_text(encoding="utf-8", errors="replace")
    assert "UnifiedCSD:  scratch.csd" in raw  # the banner is really there
    errors = parse_errors(raw)
    assert errors, raw
    assert not any(word in e for e in errors for word in BANNER)
    words, line = EXPECTED_FIRST[name]
    assert any(words in e for e in errors), errors
    if line is not None:
        assert f"(line {line})" in errors[0]


@needs_csound
@pytest.mark.parametrize("name", sorted(EXPECTED_FIRST))
async def test_check_csd_feedback_has_the_line_and_its_text(name: str) -> None:
    text = (DATA / f"{name}.csd").read_text(encoding="utf-8")
    result = await check_csd(text, Config())
    assert not result.ok
    feedback = result.feedback
    assert not any(word in feedback for word in BANNER), feedback
    first = result.first
    assert first is not None
    if first.line is not None:
        assert feedback.startswith(f"line {first.line}: ")
        assert f"{first.line} | {text.splitlines()[first.line - 1].rstrip()}" in feedback
    if name in ("xmlinstr", "oneline", "lowerall"):
        # A tag problem is named first, with what to write instead.
        assert first.line is not None and ("write" in feedback or "Put the flags" in feedback)


# --- generate: normaliser, repeats, borrowed globals ----------------------------------------------

GOOD_ORC = "instr 1\n  asig oscili 0.2, 440\n  outs asig, asig\nendin"
XML_ANSWER = (
    "```csound\n<csoundSynthesizer>\n<CsOptions>-odac</CsOptions>\n<CsInstruments>\n"
    "<instr 1>\n  asig oscili 0.2, 440\n  outs asig, asig\n</instr>\n</CsInstruments>\n"
    "<CsScore>\ni 1 0 1\n</CsScore>\n</csoundSynthesizer>\n```"
)
UNDEFINED = csd(GOOD_ORC.replace("outs asig, asig", "outs asig, asig\n  gaSend = gaSend + asig"))


@needs_csound
async def test_mechanical_problems_cost_no_model_round() -> None:
    config = Config()
    model = Recording([XML_ANSWER])
    result = await generate_csd(
        ModelService(config, backend=model), "a sine", check=CountingCheck(config)
    )
    assert result.ok and result.rounds == 1 and len(model.requests) == 1
    assert "instr 1" in (result.csd or "") and "<instr" not in (result.csd or "")
    assert any("normalised" in line for line in result.log)


@needs_csound
async def test_a_repeated_answer_is_not_compiled_again_and_the_request_varies() -> None:
    config = Config()
    model = Recording([f"```csound\n{UNDEFINED}```"] * 3 + [f"```csound\n{csd(GOOD_ORC)}```"])
    check = CountingCheck(config)
    sources = [
        Source(
            f"example {n}", f"ex{n}.csd", f"instr {n}\n  a1 oscili 0.1, {n}00\nendin", 1 - n / 10
        )
        for n in range(1, 4)
    ]

    async def retriever(query: str, limit: int) -> list[Source]:
        return sources

    service = ModelService(config, backend=model)
    result = await generate_csd(service, "a sine", check=check, retriever=retriever)
    assert result.ok and result.rounds == 4 and result.repeats == 2
    assert len(check.texts) == 2  # the two repeats were not compiled
    samplings = [s for _m, s in model.requests]
    assert samplings[2].seed != samplings[1].seed and samplings[3].seed != samplings[2].seed
    assert samplings[3].temperature > samplings[2].temperature > samplings[0].temperature
    # After a repeat the request starts afresh: no assistant turn to copy, the error to avoid.
    fresh = model.requests[2][0]
    assert [m.role for m in fresh] == ["system", "user"]
    assert "An earlier answer to this request did not compile" in fresh[-1].content
    assert "gaSend" in fresh[-1].content and "Write a complete CSD" in fresh[-1].content
    assert "no `var` or `global`" in model.requests[1][0][-1].content
    # After the second repeat the example it was shown first is left out.
    first_prompt = model.requests[0][0][1].content
    last_prompt = model.requests[3][0][1].content
    assert "example 1" in first_prompt and "example 1" not in last_prompt
    assert "example 2" in last_prompt


@needs_csound
async def test_globals_of_a_partly_copied_example_are_copied_from_it(tmp_path: Path) -> None:
    example = tmp_path / "wave.csd"
    example.write_text(
        csd(
            "giSize = 8192\ngiwave ftgen 0, 0, giSize, 10, 1, 0.5, 0.3\ngaRvb init 0\n\n"
            "instr 1\n  a1 poscil 0.3, 220, giwave\n  gaRvb = gaRvb + a1\n  outs a1, a1\nendin"
        ),
        encoding="utf-8",
    )
    # The retrieved chunk is the instrument alone, as the index stores it.
    source = Source("wave.csd: instr 1", f"{example}#L12", "instr 1\n  a1 poscil 0.3, 220, giwave")
    answer = csd(
        "instr 1\n  a1 poscil 0.3, 330, giwave\n  gaRvb = gaRvb + a1\n  outs a1, a1\nendin"
    )
    config = Config()
    assert not (await check_csd(answer, config)).ok

    async def retriever(query: str, limit: int) -> list[Source]:
        return [source]

    model = Recording([answer])
    service = ModelService(config, backend=model)
    result = await generate_csd(service, "a wave", check=CountingCheck(config), retriever=retriever)
    assert result.ok and result.rounds == 1, result.log
    text = result.csd or ""
    assert text.index("giSize = 8192") < text.index("giwave ftgen") < text.index("instr 1")
    assert "gaRvb init 0" in text
    assert any("copied from the examples" in line for line in result.log)


def test_borrow_reports_what_no_source_defines() -> None:
    answer = csd("instr 1\n  a1 poscil 0.3, 330, giNowhere\n  outs a1, a1\nendin")
    borrowed = borrow_globals(answer, [Source("x", "", "giOther ftgen 0, 0, 16, 10, 1")])
    assert borrowed.text == answer and borrowed.lines == [] and borrowed.missing == ["giNowhere"]


@needs_csound
async def test_the_repaired_code_stands_in_for_the_answer_in_the_repair_turn() -> None:
    config = Config()
    broken = XML_ANSWER.replace("oscili 0.2, 440", "oscili 0.2, 440, giNowhere")
    model = Recording([broken, f"```csound\n{csd(GOOD_ORC)}```"])
    service = ModelService(config, backend=model)
    result = await generate_csd(service, "a sine", check=CountingCheck(config))
    assert result.ok and result.rounds == 2
    said, repair = model.requests[1][0][-2:]
    assert said.role == "assistant" and "instr 1" in said.content and "<instr" not in said.content
    assert "I fixed the mechanical problems in your answer (line" in repair.content
    # The error's line number is a line of the code the model is shown.
    code = said.content.split("```csound\n")[1].split("```")[0].split("\n")
    line = int(repair.content.split("first error:\n```\nline ")[1].split(":")[0])
    assert "giNowhere" in code[line - 1]


@needs_csound
async def test_a_new_answer_with_the_same_error_also_varies_the_next_request() -> None:
    config = Config()
    again = UNDEFINED.replace("i 1 0 1", "i 1 0 1 ; the same, with a comment")
    model = Recording([UNDEFINED, again, csd(GOOD_ORC)])
    check = CountingCheck(config)
    result = await generate_csd(ModelService(config, backend=model), "a sine", check=check)
    assert result.ok and result.rounds == 3 and len(check.texts) == 3
    assert result.repeats == 1
    samplings = [s for _m, s in model.requests]
    assert samplings[1].seed is None and samplings[2].seed is not None
    assert "same error, on the same line" in model.requests[2][0][-1].content


SILENT_ORC = (
    "instr 1\n  kenv linseg 0, 0.02, 1, p3 - 0.02, 0\n"
    "  a1 foscili kenv * 0.3, 440, 1, 1.4, 2\nendin"
)


@needs_csound
async def test_a_silent_csd_gets_another_round_and_is_kept_only_as_a_last_resort() -> None:
    config = Config()
    assert (await check_csd(csd(SILENT_ORC), config)).ok  # it compiles: only silent
    model = Recording([csd(SILENT_ORC), csd(GOOD_ORC)])
    result = await generate_csd(
        ModelService(config, backend=model), "a bell", check=CountingCheck(config)
    )
    assert result.ok and result.rounds == 2 and "outs" in (result.csd or "")
    assert "makes no sound" in model.requests[1][0][-1].content

    model = Recording([csd(SILENT_ORC)] * 2)
    service = ModelService(config, backend=model)
    result = await generate_csd(service, "a bell", check=CountingCheck(config), max_repairs=1)
    assert result.ok and result.csd == csd(SILENT_ORC)
    assert "no instrument sends sound out" in result.log[-1]
