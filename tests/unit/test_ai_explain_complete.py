"""Explain grounded in the manual's parameter docs (issue 14: Qwen said `buzz`'s table number was
"a phase shift of 1" and `f 1 0 4096 10 1` "a note of 4096 Hz"); inline completion sampled
near-greedily; `complete-ai` prints the raw suggestion and says why there is none."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest
from typer.testing import CliRunner

from csound_assist.ai.complete import InlineCompleter
from csound_assist.ai.explain import explain
from csound_assist.ai.grounding import argument_notes, load_kb
from csound_assist.config import Config
from csound_assist.model import Message, ModelService, Sampling
from tests.helpers import FakeBackend, csd

CODE = csd(
    "instr 1\n  a1 buzz 0.5, 440, 10, 1\n  kenv linseg 0, 0.1, 1, p3 - 0.1, 0\n"
    "  outs a1 * kenv, a1 * kenv\nendin",
    sco="f 1 0 4096 10 1\ni 1 0 2",
)


class Recording(FakeBackend):
    name = "recording"

    def __init__(self, answer: str = "ok") -> None:
        self.answer = answer
        self.chats: list[tuple[list[Message], Sampling]] = []
        self.completions: list[tuple[str, str, Sampling]] = []

    async def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        self.chats.append((list(messages), sampling))
        yield self.answer

    async def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        self.completions.append((prompt, suffix, sampling))
        yield self.answer


@pytest.fixture(scope="module")
def kb():  # noqa: ANN201
    found = load_kb()
    if found is None:
        pytest.skip("no knowledge base (csound/csound-doc not installed)")
    return found


def test_argument_notes_name_each_argument_from_the_manual(kb) -> None:  # noqa: ANN001
    notes = argument_notes(CODE, kb)
    buzz = next(n for n in notes if "buzz" in n)
    assert "ifn = 1 (table number" in buzz and "knh = 10" in buzz and "xcps = 440" in buzz
    table = next(n for n in notes if "f 1 0 4096 10 1" in n)
    assert "function table, not a note" in table and "4096 points" in table and "GEN10" in table
    assert any("linseg" in n and "= 0.1 (duration" in n for n in notes)


async def test_explain_prompt_carries_the_argument_notes(kb) -> None:  # noqa: ANN001
    model = Recording("It plays a buzz.")
    service = ModelService(Config(), backend=model)
    answer = "".join([c async for c in explain(service, CODE, kb=kb)])
    assert answer == "It plays a buzz."
    user = model.chats[0][0][-1].content
    assert "ifn = 1 (table number of a stored function" in user
    assert user.index("```csound") < user.index("What each argument in this code is")


async def test_inline_completion_samples_near_greedily() -> None:
    model = Recording("asig, asig")
    completer = InlineCompleter(ModelService(Config(), backend=model))
    text = CODE.replace("  outs a1 * kenv, a1 * kenv\n", "  outs \n")
    await completer.complete(text, text.index("  outs \n") + len("  outs "))
    sampling = model.completions[0][2]
    assert sampling.temperature <= 0.1 and sampling.seed == 0


def _cli(monkeypatch: pytest.MonkeyPatch, answer: str, tmp_path, text: str, line: int, col: int):  # noqa: ANN001, ANN202
    from csound_assist.cli import ai as cli_ai
    from csound_assist.cli import app

    monkeypatch.setattr(
        cli_ai, "_service", lambda config: ModelService(config, backend=Recording(answer))
    )
    (tmp_path / "t.csd").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(app, ["complete-ai", "t.csd", str(line), str(col)])


def test_complete_ai_prints_tabs_raw(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    text = CODE.replace("  outs a1 * kenv, a1 * kenv\n", "\touts \n")
    line = text.splitlines().index("\touts ") + 1
    result = _cli(monkeypatch, "a1,\ta1", tmp_path, text, line, len("\touts ") + 1)
    assert result.exit_code == 0, result.output
    assert result.stdout == "a1,\ta1"


def test_complete_ai_says_why_a_suggestion_was_dropped(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    text = CODE.replace("  outs a1 * kenv, a1 * kenv\n", "  \n")
    line = text.splitlines().index("  ") + 1
    result = _cli(monkeypatch, "aout nosuchopcode a1", tmp_path, text, line, 3)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "dropped by the filter" in result.stderr and "nosuchopcode" in result.stderr
