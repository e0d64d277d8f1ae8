"""The AI state one editor session holds: model service, completer, chat sessions, feedback.

Created lazily by the LSP features (nothing loads until the first AI request or the preload at
start-up) and rebuilt when the model configuration changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import astuple
from typing import Any

from loguru import logger

from csound_assist.ai.chat import ChatSession, history_file
from csound_assist.ai.complete import AdaptiveDebounce, InlineCompleter
from csound_assist.ai.feedback import FeedbackLog
from csound_assist.ai.fix import FixJobs
from csound_assist.ai.grounding import Retriever, default_retriever, index_retriever
from csound_assist.ai.verify import CompileResult, check_csd
from csound_assist.config import Config
from csound_assist.model.base import ModelInfo
from csound_assist.model.service import ModelService


class AIRuntime:
    def __init__(
        self,
        config: Config,
        *,
        notify: Callable[[str], None] | None = None,
        kb: Callable[[], Any] = lambda: None,
        workspace: str | None = None,
        retriever: Retriever | None = None,
        index: Callable[[], Any] | None = None,
    ) -> None:
        self.config = config
        self._kb = kb
        # In the server: the shared example index (a `retrieval.keeper.ScopedIndex`, None until
        # open), looked up at each search so a re-opened index is picked up. Else one of our own.
        self._index = index
        self.workspace = workspace
        self.service = ModelService(config, notify=notify)
        self._retriever = retriever
        self._retriever_made = retriever is not None
        self.completer = InlineCompleter(self.service, retriever=self._fim_retriever())
        self.debounce: dict[str, AdaptiveDebounce] = {}
        self.pending: dict[str, asyncio.Task[Any]] = {}
        self.chats: dict[str, asyncio.Task[Any]] = {}
        self.feedback = FeedbackLog()
        self.fix_jobs = FixJobs()  # "Fix with AI", computed before it is offered
        self._chat: ChatSession | None = None
        self._model_info: ModelInfo | None = None

    @staticmethod
    def model_key(config: Config) -> tuple[Any, ...]:
        """The settings whose change means a new backend."""
        return astuple(config.model) + (config.parameters.num_ctx,)

    @property
    def retriever(self) -> Retriever | None:
        if not self._retriever_made:
            self._retriever = (
                self._shared("hybrid") if self._index is not None
                else default_retriever(self.config)
            )
            self._retriever_made = True
        return self._retriever

    def _shared(self, mode: str) -> Retriever:
        lookup = self._index
        assert lookup is not None

        async def retrieve(query: str, limit: int):  # noqa: ANN202
            view = lookup()
            return [] if view is None else await index_retriever(view, mode=mode)(query, limit)

        return retrieve

    def _fim_retriever(self) -> Retriever | None:
        if self._retriever is not None:
            return self._retriever
        if self._index is not None:
            return self._shared("keyword")  # BM25 alone: fast enough to run per keystroke

        async def lazy(query: str, limit: int):  # noqa: ANN202 — keyword search: fast enough to type
            if not hasattr(self, "_fim_index_retriever"):
                self._fim_index_retriever = default_retriever(self.config, mode="keyword")
            if self._fim_index_retriever is None:
                return []
            return await self._fim_index_retriever(query, limit)

        return lazy

    def known_opcodes(self) -> Any:
        kb = self._kb()
        return kb.opcodes if kb is not None else None

    async def check(self, text: str) -> CompileResult:
        return await check_csd(text, self.config)

    def chat_session(self) -> ChatSession:
        if self._chat is None:
            from csound_assist.prompts import default_cheatsheet

            self._chat = ChatSession(
                self.service,
                check=self.check,
                kb=self._kb(),
                retriever=self.retriever,
                cheatsheet=default_cheatsheet(),
                history_path=history_file(self.workspace),
            )
        return self._chat

    async def model_info(self) -> ModelInfo | None:
        if self._model_info is None:
            self._model_info = await self.service.info()
        return self._model_info

    async def preload(self) -> None:
        """Load the model when the editor starts, so the first suggestion is not a cold one."""
        try:
            await asyncio.gather(self.service.preload(), self.completer.warm())
        except Exception as exc:  # noqa: BLE001
            logger.warning("model preload failed: {}", exc)

    async def aclose(self) -> None:
        for task in [*self.pending.values(), *self.chats.values()]:
            task.cancel()
        for uri in self.fix_jobs.uris():
            self.fix_jobs.forget(uri)
        await self.service.aclose()
