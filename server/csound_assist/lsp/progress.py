"""`$/progress` for long server-side work, or nothing when the client cannot show it."""

from __future__ import annotations

import asyncio
import uuid

from loguru import logger
from lsprotocol import types
from pygls.lsp.server import LanguageServer


class Progress:
    """One server-initiated work-done progress (create → begin → report* → end)."""

    def __init__(self, ls: LanguageServer, title: str, prefix: str = "csound-assist") -> None:
        self.ls = ls
        self.title = title
        self.token = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.active = False

    def _supported(self) -> bool:
        caps = self.ls.client_capabilities
        return bool(caps and caps.window and caps.window.work_done_progress)

    async def begin(self, message: str) -> None:
        if not self._supported():
            return
        try:
            await asyncio.wait_for(self.ls.work_done_progress.create_async(self.token), timeout=5)
            self.ls.work_done_progress.begin(
                self.token,
                types.WorkDoneProgressBegin(title=self.title, message=message, cancellable=False),
            )
            self.active = True
        except Exception as exc:  # noqa: BLE001 — progress is a nicety, never a failure
            logger.debug("no progress reporting: {}", exc)

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.active:
            self.ls.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.active:
            self.active = False
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
