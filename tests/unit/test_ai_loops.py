"""The generate and fix loops with the real compiler and a scripted model: the repair round sees
the compiler's error, only compiling code is accepted, nothing is written otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from csound_assist.ai.fix import verified_fix
from csound_assist.ai.generate import generate_csd, write_csd
from csound_assist.ai.verify import check_csd
from csound_assist.config import Config
from csound_assist.model import Message, ModelService, Sampling
from tests.helpers import FakeBackend, csd

GOOD = csd("""\
instr 1
  asig oscili 0.3, 440
  outs asig, asig
endin""", sco="i 1 0 1\ne", options="-n")
BAD = GOOD.replace("oscili 0.3, 440", "oscilx 0.3, 440")


class Scripted(FakeBackend):
    """A backend that answers from a script and records what it was asked."""

    name = "scripted"

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.requests: list[list[Message]] = []
        self.prompts: list[tuple[str, str]] = []

    async def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        self.requests.append(list(messages))
        answer = self.answers.pop(0) if self.answers else ""
        for i in range(0, len(answer), 7):
            yield answer[i : i + 7]

    async def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        self.prompts.append((prompt, suffix))
        answer = self.answers.pop(0) if self.answers else ""
        if answer:
            yield answer


def check_with(config: Config):
    async def check(text: str):
        return await check_csd(text, config)

    return check


async def test_generate_repairs_with_the_compiler_error_then_writes(tmp_path):
    config = Config()
    model = Scripted([f"```csound\n{BAD}```", f"Fixed:\n```csound\n{GOOD}```"])
    service = ModelService(config, backend=model)
    result = await generate_csd(service, "a sine", check=check_with(config))
    assert result.ok and result.rounds == 2
    repair_turn = model.requests[1][-1].content
    assert "oscilx" in repair_turn and "fails to compile" in repair_turn
    assert "line 12:" in repair_turn and "12 |   asig oscilx 0.3, 440" in repair_turn
    assert write_csd(result, tmp_path / "sine.csd")
    assert (await check_with(config)((tmp_path / "sine.csd").read_text())).ok


async def test_generate_gives_up_after_three_repairs_and_writes_nothing(tmp_path):
    config = Config()
    model = Scripted([f"```csound\n{BAD}```"] * 5)
    service = ModelService(config, backend=model)
    result = await generate_csd(service, "a sine", check=check_with(config))
    assert not result.ok and result.rounds == 4 and len(model.requests) == 4
    assert "oscilx" in result.error
    assert not write_csd(result, tmp_path / "x.csd") and not (tmp_path / "x.csd").exists()


async def test_verified_fix_replaces_only_the_instrument():
    config = Config()
    instr_good = "instr 1\n  asig oscili 0.3, 440\n  outs asig, asig\nendin\n"
    model = Scripted(
        ["```csound\ninstr 1\n  asig oscilz 0.3\nendin\n```", f"```csound\n{instr_good}```"]
    )
    service = ModelService(config, backend=model)
    check = check_with(config)
    error = (await check(BAD)).message
    line = BAD.splitlines().index("  asig oscilx 0.3, 440")
    fix = await verified_fix(service, BAD, error, check=check, line=line)
    assert fix.ok and fix.rounds == 2
    assert fix.replacement == instr_good
    assert fix.fixed_text == GOOD
    assert (
        "instr 1" in model.requests[0][-1].content
        and "<CsScore>" not in model.requests[0][-1].content
    )


async def test_unverified_fix_is_never_ok():
    config = Config()
    model = Scripted(["```csound\nstill broken oscilq\n```"] * 4)
    service = ModelService(config, backend=model)
    check = check_with(config)
    fix = await verified_fix(service, BAD, (await check(BAD)).message, check=check)
    assert not fix.ok and fix.replacement == "" and fix.rounds == 4


def test_recent_edits_keep_one_entry_per_edited_line():
    from csound_assist.ai.complete import RecentEdits

    recent = RecentEdits(size=3)
    for typed in ("a", "as", "asig", "asig oscili"):
        recent.add(typed, key=("a.csd", 4))
    assert recent.items() == ["asig oscili"]
    for n in range(4):
        recent.add(f"k{n} = {n}", key=("b.csd", n))
    assert recent.items() == ["k1 = 1", "k2 = 2", "k3 = 3"]  # oldest dropped
    recent.add("   ")
    assert len(recent.items()) == 3


async def test_inline_context_has_header_recent_edits_and_filters_suggestions():
    from csound_assist.ai.complete import InlineCompleter

    model = Scripted(["asig, asig\n  outs asig\nendin", "aout nosuchopcode asig"])
    completer = InlineCompleter(
        ModelService(Config(), backend=model), known_opcodes={"oscili", "outs"}
    )
    first = GOOD.replace("  outs asig, asig\n", "  outs \n")
    offset = first.index("  outs \n") + len("  outs ")
    result = await completer.complete(first, offset)
    assert result.text == "asig, asig"  # mid-line: one line
    prompt, suffix = model.prompts[0]
    assert prompt.endswith("asig oscili 0.3, 440\n  outs ") and suffix.startswith("\nendin")
    other = "<CsInstruments>\nsr = 48000\n" + "\n" * 3000 + "instr 2\n  a1 oscili 1, 2\n  "
    assert (await completer.complete(other, len(other))).text == ""  # unknown opcode: dropped
    second = model.prompts[1][0]
    assert "; --- recently edited ---\n; outs" in second
    assert second.startswith("; --- recently edited") and "instr 2" in second


async def test_help_is_a_markdown_list_of_the_commands():
    # The chat panel renders markdown: an indented plain-text block would collapse into one line.
    from csound_assist.ai.chat import ChatSession

    model = Scripted([])
    session = ChatSession(ModelService(Config(), backend=model), check=check_with(Config()))
    events = [e async for e in session.ask("/help")]
    assert [e.kind for e in events] == ["done"] and not model.requests
    items = [line for line in events[0].data.splitlines() if line.startswith("- `/")]
    assert [i.split("`")[1].split()[0] for i in items] == [
        "/explain",
        "/fix",
        "/generate",
        "/clear",
        "/help",
    ]
