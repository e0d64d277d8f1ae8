"""A chat session: history, retrieval, slash commands, streamed as events.

One event stream serves the CLI REPL and the editor panel alike:
  ("sources", [Source…]) → ("token", str)… → ("code", {"ok": bool, "code": str, "error": str})?
  → ("done", answer) | ("error", message)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from csound_assist.ai.explain import explain
from csound_assist.ai.fix import verified_fix
from csound_assist.ai.generate import generate_csd
from csound_assist.ai.grounding import Retriever, retrieve
from csound_assist.ai.verify import CompileResult
from csound_assist.model.base import Message
from csound_assist.model.service import ModelService
from csound_assist.paths import state_dir
from csound_assist.prompts.templates import EditorContext, Source, chat_messages

# Markdown: the chat panel and the CLI's `chat` render it (an indented text block would collapse).
HELP = """\
Ask anything about Csound. Commands:

- `/explain`: explain the selection (or the current file)
- `/fix`: fix the current file's first compiler error (verified by compiling)
- `/generate <text>`: write a complete CSD that compiles
- `/clear`: forget this conversation
- `/help`: this text
"""

MAX_HISTORY = 40


@dataclass(frozen=True, slots=True)
class ChatEvent:
    kind: str  # "sources" | "token" | "code" | "done" | "error" | "info"
    data: Any = None


def history_file(workspace: str | None) -> Path:
    key = hashlib.sha256((workspace or "global").encode()).hexdigest()[:16]
    return state_dir() / "chat" / f"{key}.json"


class ChatSession:
    def __init__(
        self,
        service: ModelService,
        *,
        check: Callable[[str], Awaitable[CompileResult]],
        kb: Any = None,
        retriever: Retriever | None = None,
        cheatsheet: str = "",
        history_path: Path | None = None,
    ) -> None:
        self.service = service
        self.check = check
        self.kb = kb
        self.retriever = retriever
        self.cheatsheet = cheatsheet
        self.history_path = history_path
        self.history: list[Message] = self._load()

    def _load(self) -> list[Message]:
        if self.history_path is None:
            return []
        try:
            data = json.loads(self.history_path.read_text(encoding="utf-8"))
            return [Message(m["role"], m["content"]) for m in data][-MAX_HISTORY:]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("chat history {} unreadable, starting fresh: {}", self.history_path, exc)
            return []

    def _save(self) -> None:
        if self.history_path is None:
            return
        try:
            self.history_path.parent.mkdir(parents=True, exist_ok=True)
            data = [m.as_dict() for m in self.history[-MAX_HISTORY:]]
            self.history_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        except OSError as exc:
            logger.warning("chat history not saved: {}", exc)

    def clear(self) -> None:
        self.history.clear()
        self._save()

    def remember(self, question: str, answer: str) -> None:
        """Keep a turn answered outside `ask` (the Explain command) in the history."""
        if question.strip() and answer.strip():
            self.history += [Message("user", question), Message("assistant", answer)]
            self._save()

    async def ask(
        self, text: str, context: EditorContext | None = None
    ) -> AsyncIterator[ChatEvent]:
        """Answer one user turn as a stream of events. Never raises for model trouble."""
        text = text.strip()
        if not text:
            yield ChatEvent("error", "empty message")
            return
        command, _, rest = text.partition(" ") if text.startswith("/") else ("", "", text)
        try:
            if command == "/help":
                yield ChatEvent("done", HELP)
            elif command == "/clear":
                self.clear()
                yield ChatEvent("done", "Conversation cleared.")
            elif command == "/explain":
                async for event in self._explain(context):
                    yield event
            elif command == "/fix":
                async for event in self._fix(context):
                    yield event
            elif command == "/generate":
                async for event in self._generate(rest):
                    yield event
            elif command:
                yield ChatEvent("error", f"unknown command {command}; try /help")
            else:
                async for event in self._chat(rest, context):
                    yield event
        except Exception as exc:  # noqa: BLE001 — a failed turn must not end the session
            logger.exception("chat turn failed")
            yield ChatEvent("error", f"internal error: {exc}")

    async def _stream_answer(
        self, question: str, chunks: AsyncIterator[str]
    ) -> AsyncIterator[ChatEvent]:
        parts: list[str] = []
        async for chunk in chunks:
            parts.append(chunk)
            yield ChatEvent("token", chunk)
        answer = "".join(parts)
        if not answer.strip():
            yield ChatEvent("error", "No answer: the model is unavailable (see the log).")
            return
        self.remember(question, answer)
        yield ChatEvent("done", answer)

    async def _chat(self, question: str, context: EditorContext | None) -> AsyncIterator[ChatEvent]:
        sources = await retrieve(self.retriever, question, self.service.config.rag.num_results)
        yield ChatEvent("sources", sources)
        messages = chat_messages(
            question,
            history=self.history,
            sources=sources,
            context=context,
            cheatsheet=self.cheatsheet,
            num_ctx=self.service.config.parameters.num_ctx,
        )
        async for event in self._stream_answer(question, self.service.chat(messages)):
            yield event

    async def _explain(self, context: EditorContext | None) -> AsyncIterator[ChatEvent]:
        code = (context.selection or context.file_text) if context else ""
        if not code.strip():
            yield ChatEvent("error", "Nothing to explain: select code or open a Csound file.")
            return
        sources: list[Source] = []
        chunks = explain(
            self.service,
            code,
            kb=self.kb,
            retriever=self.retriever,
            cheatsheet=self.cheatsheet,
            sources_out=sources,
        )
        first = True
        async for event in self._stream_answer("/explain", chunks):
            if first:
                yield ChatEvent("sources", sources)
                first = False
            yield event

    async def _fix(self, context: EditorContext | None) -> AsyncIterator[ChatEvent]:
        if context is None or not context.file_text.strip():
            yield ChatEvent("error", "Nothing to fix: open a Csound file.")
            return
        compiled = await self.check(context.file_text)
        if compiled.ok:
            yield ChatEvent("done", "The file compiles; there is nothing to fix.")
            return
        yield ChatEvent("info", f"Compiler: {compiled.message}")
        fix = await verified_fix(
            self.service, context.file_text, compiled.message, check=self.check, kb=self.kb
        )
        yield ChatEvent("code", {"ok": fix.ok, "code": fix.replacement, "error": fix.error})
        if fix.ok:
            yield ChatEvent(
                "done",
                f"Fixed after {fix.rounds} round(s); the fix compiles.\n\n"
                f"```csound\n{fix.replacement}\n```",
            )
        else:
            yield ChatEvent("error", f"No verified fix after {fix.rounds} round(s): {fix.error}")

    async def _generate(self, description: str) -> AsyncIterator[ChatEvent]:
        if not description.strip():
            yield ChatEvent("error", "Usage: /generate <what the CSD should do>")
            return
        result = await generate_csd(
            self.service,
            description,
            check=self.check,
            retriever=self.retriever,
            cheatsheet=self.cheatsheet,
        )
        yield ChatEvent("sources", result.sources)
        if result.ok and result.csd:
            yield ChatEvent("code", {"ok": True, "code": result.csd, "error": ""})
            yield ChatEvent(
                "done",
                f"This CSD compiles (round {result.rounds}):\n\n```csound\n{result.csd}\n```",
            )
        else:
            yield ChatEvent(
                "error",
                f"No compiling CSD after {result.rounds} round(s). Last error: {result.error}",
            )
