"""Prompt templates, source ordering, budgets, FIM templates, the cheat sheet generator."""

from dataclasses import dataclass, field

from csound_assist.model.fim import CONTINUATION, QWEN, STARCODER, detect_template, guess_template
from csound_assist.prompts import (
    Source,
    chat_messages,
    estimate_tokens,
    fim_budget,
    fim_prompt,
    format_sources,
    generate_messages,
    order_sources,
    system_prompt,
)
from csound_assist.prompts.cheatsheet import rank_opcodes, render_cheatsheet


def test_system_prompt_structure():
    text = system_prompt("generate", cheatsheet="- `asig oscili xamp, xcps` — oscillator")
    sections = [
        "You are csound-assist",
        "Csound rules:",
        "Output format:",
        "Reference material:",
        "Constraints:",
        "Most used opcodes",
    ]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)


def test_sources_most_relevant_first_second_last():
    sources = [
        Source(f"s{i}", f"/x/{i}.csd", f"text {i}", score=s)
        for i, s in enumerate([0.2, 0.9, 0.5, 0.8, 0.1])
    ]
    ordered = [s.title for s in order_sources(sources)]
    assert ordered == ["s1", "s2", "s0", "s4", "s3"]
    block = format_sources(sources, 3000)
    assert block.index('title="s1"') < block.index('title="s2"') < block.index('title="s3"')
    assert 'origin="/x/3.csd"' in block


def test_format_sources_respects_budget():
    big = [Source(f"s{i}", "o", "x" * 20000, score=1 - i / 10) for i in range(5)]
    block = format_sources(big, 1000)
    assert estimate_tokens(block) <= 1100
    assert format_sources(big, 0) == ""


def test_chat_rag_budget_and_history():
    sources = [Source("manual", "m", "y" * 100000, score=1.0)]
    history = [("user", "q" * 1000), ("assistant", "a" * 1000)] * 30
    from csound_assist.model.base import Message

    messages = chat_messages(
        "How do I use moogladder?",
        sources=sources,
        history=[Message(r, c) for r, c in history],
        num_ctx=32768,
    )
    assert messages[0].role == "system" and messages[-1].role == "user"
    rag_tokens = estimate_tokens(messages[-1].content)
    assert 3000 <= rag_tokens <= 6200
    assert sum(estimate_tokens(m.content) for m in messages[1:-1]) <= 32768 // 4


def test_generate_messages_mention_description():
    messages = generate_messages("a plucked string", sources=[Source("ex", "e", "instr 1")])
    assert "a plucked string" in messages[-1].content and "<sources>" in messages[-1].content


def test_fim_prompt_within_40_percent_of_num_ctx():
    prefix = "instr 1\n" + "  a1 oscili 0.5, 440\n" * 2000
    suffix = "endin\n" * 2000
    prompt = fim_prompt(
        prefix,
        suffix,
        header="sr = 44100\nksmps = 32",
        snippets=[Source("ex", "e", "a2 vco2 1, 220")],
        recent=["k1 line 0, 1, 1"],
        num_ctx=4096,
    )
    assert prompt.tokens <= fim_budget(4096)
    assert prompt.prefix.endswith("  a1 oscili 0.5, 440\n")  # the text at the cursor is kept
    assert "sr = 44100" in prompt.prefix  # the header fell out of the prefix: it is added back
    assert "; --- similar code: ex ---" in prompt.prefix


def test_fim_templates():
    assert QWEN.render("a", "b") == "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"
    assert CONTINUATION.render("a", "b") == "a"
    assert (
        detect_template(lambda s: s in {"<fim_prefix>", "<fim_suffix>", "<fim_middle>"})
        == STARCODER
    )
    assert detect_template(lambda s: False) == CONTINUATION
    assert guess_template("qwen2.5-coder:7b") == QWEN


@dataclass
class Sig:
    outputs: str
    inputs: str

    def render(self, name: str) -> str:
        return f"{self.outputs} {name} {self.inputs}"


@dataclass
class Op:
    name: str
    summary: str
    signatures: list = field(default_factory=list)
    syntax: list = field(default_factory=list)
    deprecated: str | None = None


class KB:
    def __init__(self, ops):
        self.opcodes = {o.name: o for o in ops}

    def get(self, name):
        return self.opcodes.get(name)


def test_cheatsheet_ranks_by_use_in_examples():
    kb = KB(
        [
            Op("oscili", "A simple oscillator.", [Sig("ares", "xamp, xcps")]),
            Op("outs", "Stereo output.", [Sig("", "asig1, asig2")]),
            Op("oldthing", "Old.", [Sig("a", "b")], deprecated="use newthing"),
            Op("rare", "Rarely used.", [Sig("k", "k")]),
        ]
    )
    docs = [
        "<CsInstruments>instr 1\na1 oscili 1, 2\nouts a1, a1\noldthing\nendin</CsInstruments>",
        "<CsInstruments>instr 1\na1 oscili 1, 2 ; rare in a comment\nendin</CsInstruments>",
    ]
    ranked = rank_opcodes(kb.opcodes, docs)
    assert ranked[0] == ("oscili", 2)
    assert ("rare", 1) not in ranked
    sheet = render_cheatsheet(kb, ranked, size=80)
    assert sheet.splitlines()[0] == "- `ares oscili xamp, xcps` — A simple oscillator"
    assert "oldthing" not in sheet


def test_small_window_keeps_the_cheatsheet_within_its_share():
    sheet = "\n".join(f"- `ares op{i} xamp, xcps [, iphs]` — an opcode" for i in range(80))
    for num_ctx in (2048, 8192, 32768):
        messages = chat_messages("hi", cheatsheet=sheet, num_ctx=num_ctx, answer_tokens=256)
        system = messages[0].content
        assert "Most used opcodes" in system
        sheet_part = system.split("Most used opcodes", 1)[1]
        assert estimate_tokens(sheet_part) <= num_ctx * 0.2 + 20
    small = chat_messages("hi", cheatsheet=sheet, num_ctx=2048, answer_tokens=256)
    assert sum(estimate_tokens(m.content) for m in small) + 256 <= 2048
