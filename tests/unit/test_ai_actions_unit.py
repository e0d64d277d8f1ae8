""""Fix with AI": for every error no deterministic fix repairs (compiler or static), offered as an
edit only once the model's fix has compiled; until then, or when none compiled, shown disabled
with the reason."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from lsprotocol import types

from csound_assist.ai.fix import FixJobs, FixResult, verified_fix
from csound_assist.ai.verify import check_csd
from csound_assist.config import Config
from csound_assist.diagnostics import SOURCE_COMPILER, SOURCE_STATIC, Edit, Fix, apply_edits
from csound_assist.diagnostics.compiler import run_check
from csound_assist.diagnostics.model import Code, diagnostic
from csound_assist.lsp.features.code_actions import ai_fixes, needs_ai_fix
from csound_assist.model import Message, ModelService, Sampling
from tests.helpers import FakeBackend, csd

URI = "file:///tmp/x.csd"
needs_csound = pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")


def diag(message: str, line: int = 9, source: str = SOURCE_COMPILER,
         severity: types.DiagnosticSeverity = types.DiagnosticSeverity.Error,
         fixes: list[Fix] | None = None) -> types.Diagnostic:
    return diagnostic(line, 14, 16, message, Code.SYNTAX, source=source, severity=severity,
                      fixes=fixes)


def test_errors_without_a_preferred_fix_need_the_ai_one_per_line():
    paren = diag("Syntax error: unexpected ','")
    static_undefined = diag("Variable 'kx' is used before it is assigned", 11, SOURCE_STATIC)
    same_line = diag("csound: the same error again", 11)
    fixable = diag("missing endin", 12, SOURCE_STATIC,
                   fixes=[Fix("Insert 'endin'", (Edit((13, 0), (13, 0), "endin\n"),), True)])
    warning = diag("unused", 14, SOURCE_STATIC, types.DiagnosticSeverity.Warning)
    pairs = [(d, d) for d in (paren, static_undefined, same_line, fixable, warning)]
    assert [e for e, _s in needs_ai_fix(pairs)] == [paren, static_undefined]


def test_pending_and_failed_fixes_are_disabled_with_the_reason():
    d = diag("Syntax error: unexpected ','")
    [pending] = ai_fixes(URI, [(d, d)], lambda _d: "pending", lambda _f: None)
    assert pending.edit is None and pending.command is None
    assert pending.disabled is not None and "once it compiles" in pending.disabled.reason
    failed = FixResult(False, rounds=4, error="line 11: Syntax error")
    [action] = ai_fixes(URI, [(d, d)], lambda _d: failed, lambda _f: None)
    assert action.disabled is not None and "after 4 round(s)" in action.disabled.reason


class Scripted(FakeBackend):
    name = "scripted"

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.samplings: list[Sampling] = []

    async def chat(self, messages: Sequence[Message], sampling: Sampling) -> AsyncIterator[str]:
        self.samplings.append(sampling)
        await asyncio.sleep(0.05)  # a model takes time: the first code action sees it pending
        yield self.answers.pop(0) if self.answers else ""

    async def complete(self, prompt: str, suffix: str, sampling: Sampling) -> AsyncIterator[str]:
        yield ""


BROKEN_INSTR = "instr 1\n  asig oscili (0.3, 440\n  outs asig, asig\nendin\n"
FIXED_INSTR = "instr 1\n  asig oscili 0.3, 440\n  outs asig, asig\nendin\n"


@needs_csound
async def test_the_edit_is_offered_only_after_it_compiled(tmp_path: Path):
    text = csd(BROKEN_INSTR.rstrip("\n"))
    compiled = await run_check(text, Path("x.csd"))
    [error] = [d for d in compiled.diagnostics if d.severity == 1]
    config = Config()
    # Round 1 repeats the code (not compiled again), round 2 is still broken, round 3 compiles.
    still_broken = "```csound\ninstr 1\n  asig oscili (\nendin\n```"
    fixed = f"```csound\n{FIXED_INSTR}```"
    model = Scripted([f"```csound\n{BROKEN_INSTR}```", still_broken, fixed])
    service = ModelService(config, backend=model)
    jobs = FixJobs()
    key = (URI, 1, error.range.start.line, error.message)

    async def run() -> FixResult:
        return await verified_fix(service, text, error.message,
                                  check=lambda t: check_csd(t, config),
                                  line=error.range.start.line)

    def state(engine: types.Diagnostic):  # noqa: ANN202
        found = jobs.state(key)
        if found is None:
            jobs.ensure(key, run)
            found = "pending"
        return found

    def edit_of(fix: FixResult) -> types.WorkspaceEdit:
        a = text.count("\n", 0, fix.start)
        b = text.count("\n", 0, fix.end)
        return types.WorkspaceEdit(changes={URI: [types.TextEdit(
            types.Range(types.Position(a, 0), types.Position(b, 0)), fix.replacement)]})

    [first] = ai_fixes(URI, [(error, error)], state, edit_of)
    assert first.disabled is not None and first.edit is None
    while jobs.state(key) == "pending":
        await asyncio.sleep(0.05)
    [ready] = ai_fixes(URI, [(error, error)], state, edit_of)
    assert ready.disabled is None and ready.edit is not None
    assert ready.title.startswith("Fix with AI (compiles): ")
    assert "asig oscili 0.3, 440" in ready.title
    assert len(model.samplings) == 3 and model.samplings[1].seed is not None  # varied after repeat
    [edit] = ready.edit.changes[URI]
    r = edit.range
    fixed = apply_edits(text, [Edit((r.start.line, 0), (r.end.line, 0), edit.new_text)])
    assert (await check_csd(fixed, config)).ok


async def test_a_newer_version_cancels_the_older_job():
    jobs = FixJobs()
    started = asyncio.Event()

    async def slow() -> FixResult:
        started.set()
        await asyncio.sleep(30)
        return FixResult(True)

    jobs.ensure((URI, 1, 3, "e"), slow)
    await started.wait()
    jobs.ensure((URI, 2, 3, "e"), slow)
    await asyncio.sleep(0)
    assert jobs.state((URI, 1, 3, "e")) is None and jobs.state((URI, 2, 3, "e")) == "pending"
    jobs.forget(URI)
    assert jobs.uris() == set()
