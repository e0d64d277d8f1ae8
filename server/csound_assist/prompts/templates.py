"""Prompt templates for generate, explain, debug/fix, complete and chat.

Pure functions from task inputs to messages (or to a FIM prefix/suffix). Retrieved sources are
ordered most relevant first and second-most relevant last: models attend best to both ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from csound_assist.model.base import Message
from csound_assist.prompts.budget import (
    chars_for,
    clip_head,
    clip_tail,
    estimate_tokens,
    fim_budget,
    rag_budget,
)
from csound_assist.prompts.system import Task, system_prompt


@dataclass(frozen=True, slots=True)
class Source:
    """One retrieved excerpt, shown to the model and listed to the user."""

    title: str
    origin: str  # file path or URL the user can open
    text: str
    score: float = 0.0

    @classmethod
    def from_result(cls, result: object) -> Source:
        """Adapt a retrieval result (any object with text/source-ish attributes)."""
        text = getattr(result, "text", None) or getattr(result, "content", "") or ""
        origin = str(
            getattr(result, "source", None)
            or getattr(result, "path", None)
            or getattr(result, "origin", "")
            or ""
        )
        title = str(getattr(result, "title", None) or origin.rsplit("/", 1)[-1] or "source")
        return cls(
            title=title, origin=origin, text=str(text), score=float(getattr(result, "score", 0))
        )


@dataclass(slots=True)
class EditorContext:
    """What the chat panel's context chips add to a question."""

    file_name: str = ""
    file_text: str = ""
    selection: str = ""
    diagnostics: list[str] = field(default_factory=list)


def order_sources(sources: Sequence[Source]) -> list[Source]:
    """Most relevant first, second-most relevant last, the rest in between by relevance."""
    ranked = sorted(sources, key=lambda s: s.score, reverse=True)
    if len(ranked) < 3:
        return ranked
    return [ranked[0], *ranked[2:], ranked[1]]


def format_sources(sources: Sequence[Source], max_tokens: int) -> str:
    """A <sources> block within `max_tokens`; less relevant excerpts are shortened first."""
    if not sources or max_tokens <= 0:
        return ""
    ranked = sorted(sources, key=lambda s: s.score, reverse=True)
    budget = chars_for(max_tokens)
    per_source: dict[int, str] = {}
    for s in ranked:
        remaining = budget - sum(len(t) + 80 for t in per_source.values())
        if remaining < 200:
            break
        per_source[id(s)] = clip_tail(s.text.strip(), remaining - 80)
    blocks = [
        f'<source title="{s.title}" origin="{s.origin}">\n{per_source[id(s)]}\n</source>'
        for s in order_sources([s for s in ranked if id(s) in per_source])
    ]
    return "<sources>\n" + "\n".join(blocks) + "\n</sources>"


CHEATSHEET_SHARE = 0.2  # the cheat sheet may take at most a fifth of the window


def fit_lines(text: str, max_tokens: int) -> str:
    """The leading whole lines of `text` that fit in `max_tokens`."""
    kept: list[str] = []
    used = 0
    for line in text.splitlines():
        cost = estimate_tokens(line)
        if used + cost > max_tokens:
            break
        kept.append(line)
        used += cost
    return "\n".join(kept)


def _system(task: Task, cheatsheet: str, num_ctx: int = 8192) -> Message:
    sheet = fit_lines(cheatsheet, int(num_ctx * CHEATSHEET_SHARE)) if cheatsheet else ""
    return Message("system", system_prompt(task, sheet))


def _with_sources(body: str, sources: Sequence[Source], max_tokens: int) -> str:
    block = format_sources(sources, max_tokens)
    return f"{block}\n\n{body}" if block else body


def chat_messages(
    question: str,
    *,
    history: Sequence[Message] = (),
    sources: Sequence[Source] = (),
    context: EditorContext | None = None,
    cheatsheet: str = "",
    num_ctx: int = 8192,
    answer_tokens: int = 1024,
) -> list[Message]:
    system = _system("chat", cheatsheet, num_ctx)
    parts = []
    if context is not None:
        if context.selection:
            parts.append(
                f"Selected code from {context.file_name or 'the editor'}:\n```csound\n"
                f"{context.selection}\n```"
            )
        elif context.file_text:
            text = clip_tail(context.file_text, chars_for(num_ctx // 4))
            parts.append(f"Current file {context.file_name}:\n```csound\n{text}\n```")
        if context.diagnostics:
            parts.append(
                "Compiler diagnostics:\n" + "\n".join(f"- {d}" for d in context.diagnostics)
            )
    parts.append(question)
    body = "\n\n".join(parts)
    # Keep the newest history that fits in a quarter of the window.
    kept: list[Message] = []
    room = num_ctx // 4
    for message in reversed(history):
        room -= estimate_tokens(message.content)
        if room < 0:
            break
        kept.insert(0, message)
    reserved = (
        estimate_tokens(system.content)
        + estimate_tokens(body)
        + answer_tokens
        + sum(estimate_tokens(m.content) for m in kept)
    )
    user = Message("user", _with_sources(body, sources, rag_budget(num_ctx, reserved)))
    return [system, *kept, user]


def generate_messages(
    description: str, *, sources: Sequence[Source] = (), cheatsheet: str = "", num_ctx: int = 8192
) -> list[Message]:
    system = _system("generate", cheatsheet, num_ctx)
    body = f"Write a complete CSD for this request:\n{description.strip()}"
    reserved = estimate_tokens(system.content) + estimate_tokens(body) + 2048
    return [system, Message("user", _with_sources(body, sources, rag_budget(num_ctx, reserved)))]


def repair_message(
    code: str,
    error: str,
    *,
    changes: Sequence[str] = (),
    repeated: bool = False,
    stuck: bool = False,
    hint: str = "",
) -> Message:
    """The follow-up turn of a compile/repair loop: the compiler's first error on the last
    answer, where it is, and — when the answer was repaired mechanically first — the code the
    line number refers to."""
    parts = []
    if repeated:
        parts.append(
            "That answer is the same as an earlier one, which does not compile. Do not repeat "
            "it: change the line the error points at."
        )
    elif stuck:
        parts.append(
            "This answer has the same error, on the same line, as the one before: that line "
            "must change (rewrite it, move it or remove it)."
        )
    if changes:
        # The caller shows the repaired code as the assistant's last turn: line numbers refer to
        # it, and the prompt does not carry the code twice.
        listed = "; ".join(changes[:6]) + ("; …" if len(changes) > 6 else "")
        parts.append(
            f"I fixed the mechanical problems in your answer ({listed}); the code above is what "
            "I compiled."
        )
    lead = "It still fails to compile." if changes else "The code fails to compile."
    parts.append(f"{lead} Csound's first error:\n```\n{error.strip()}\n```")
    if hint:
        parts.append(hint)
    parts.append("Fix it. Answer with the whole corrected code in one ```csound block.")
    return Message("user", "\n\n".join(parts))


def explain_messages(
    code: str,
    *,
    opcode_docs: Sequence[str] = (),
    argument_notes: Sequence[str] = (),
    sources: Sequence[Source] = (),
    cheatsheet: str = "",
    num_ctx: int = 8192,
) -> list[Message]:
    system = _system("explain", cheatsheet, num_ctx)
    docs = "\n\n".join(opcode_docs)
    body = f"Explain this Csound code:\n```csound\n{code.strip()}\n```"
    if argument_notes:
        # After the code, right before the answer: what a small model reads last it uses most.
        body += (
            "\n\nWhat each argument in this code is, from the manual (describe every argument "
            "as this says, not from memory):\n" + "\n".join(f"- {n}" for n in argument_notes)
        )
    if docs:
        body = f"Manual entries for the opcodes it uses:\n{docs}\n\n{body}"
    reserved = estimate_tokens(system.content) + estimate_tokens(body) + 1024
    return [system, Message("user", _with_sources(body, sources, rag_budget(num_ctx, reserved)))]


def debug_messages(
    code: str,
    error: str,
    *,
    opcode_docs: Sequence[str] = (),
    sources: Sequence[Source] = (),
    cheatsheet: str = "",
    num_ctx: int = 8192,
) -> list[Message]:
    system = _system("debug", cheatsheet, num_ctx)
    body = (
        f"This Csound code fails to compile:\n```csound\n{code.strip()}\n```\n\n"
        f"Csound said:\n```\n{error.strip()}\n```"
    )
    if opcode_docs:
        body = "Manual entries:\n" + "\n\n".join(opcode_docs) + "\n\n" + body
    reserved = estimate_tokens(system.content) + estimate_tokens(body) + 1024
    return [system, Message("user", _with_sources(body, sources, rag_budget(num_ctx, reserved)))]


@dataclass(frozen=True, slots=True)
class FimPrompt:
    prefix: str
    suffix: str

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.prefix) + estimate_tokens(self.suffix)


def _commented(title: str, text: str) -> str:
    body = "\n".join(f"; {line}" if line else ";" for line in text.strip().splitlines())
    return f"; --- {title} ---\n{body}\n"


def fim_prompt(
    prefix: str,
    suffix: str,
    *,
    header: str = "",
    instrument: str = "",
    snippets: Sequence[Source] = (),
    recent: Sequence[str] = (),
    num_ctx: int = 8192,
) -> FimPrompt:
    """The FIM prefix/suffix within 40 % of `num_ctx`: the text near the cursor first, then the
    CSD header and current instrument if they fell out, then retrieved and recently edited code
    as Csound comments (so the model reads them as context, not as part of the file)."""
    budget = chars_for(fim_budget(num_ctx))
    suffix = clip_tail(suffix, budget // 4)
    prefix = clip_head(prefix, budget // 2)
    room = budget - len(prefix) - len(suffix)
    extra: list[str] = []
    for block in (header, instrument):
        block = block.strip()
        if block and block not in prefix and len(block) + 1 <= room:
            extra.append(block + "\n")
            room -= len(block) + 1
    for title, text in [
        *((f"similar code: {s.title}", s.text) for s in snippets),
        *(("recently edited", r) for r in recent),
    ]:
        block = _commented(title, clip_tail(text, max(0, room - 40)))
        if len(block) > room or not text.strip():
            continue
        extra.insert(0, block)
        room -= len(block)
    return FimPrompt("".join(extra) + prefix, suffix)
