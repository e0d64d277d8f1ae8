"""The chat panel's protocol (see lsp/README.md, "AI protocol"):

- request `csound/chat` {id, text, context?} → {id, answer, error?}; while it runs the server sends
  `csound/chatEvent` {id, kind, data} notifications: sources, token, code, info, error, done.
- notification `csound/chatCancel` {id}: the Stop button; cancels the turn and the model stream.
- request `csound/chatHistory` {} → [{role, content}]; notification `csound/chatClear` {}.
- request `csound/explain` {uri, range?, position?, id?, title?}: explains the selection or the
  instrument under the cursor, streamed as `csound/chatEvent` under `id`; the finished turn joins
  the chat history under `title`.
- request `csound/aiFix` {uri, message, line?} → {ok, edit?, rounds, error}: a model-written fix
  that compiled in a scratch copy; `edit` is a WorkspaceEdit, absent unless verified.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from lsprotocol import types

from csound_assist.ai.chat import ChatEvent
from csound_assist.ai.explain import code_to_explain, explain
from csound_assist.ai.fix import verified_fix
from csound_assist.features.analysis import build_outline
from csound_assist.features.document import Pos
from csound_assist.lsp.features.inline_completion import offset_of, runtime
from csound_assist.lsp.server import CsoundLanguageServer
from csound_assist.lsp.wire import plain, unstructured
from csound_assist.prompts.templates import EditorContext, Source

CHAT = "csound/chat"
CHAT_EVENT = "csound/chatEvent"
CHAT_CANCEL = "csound/chatCancel"
CHAT_HISTORY = "csound/chatHistory"
CHAT_CLEAR = "csound/chatClear"
EXPLAIN = "csound/explain"
AI_FIX = "csound/aiFix"


def _wire(data: Any) -> Any:
    if isinstance(data, list):
        return [_wire(d) for d in data]
    if isinstance(data, Source):
        return {"title": data.title, "origin": data.origin, "score": round(data.score, 4)}
    return data


def editor_context(ls: CsoundLanguageServer, raw: dict[str, Any] | None) -> EditorContext | None:
    """The context chips: current file, selection, diagnostics."""
    if not raw:
        return None
    doc = ls.documents.get(raw.get("uri", "")) if raw.get("uri") else None
    ctx = EditorContext(file_name=(raw.get("uri") or "").rsplit("/", 1)[-1])
    if doc is not None and raw.get("includeFile", True):
        ctx.file_text = doc.text
    ctx.selection = raw.get("selection") or ""
    ctx.diagnostics = [str(d) for d in raw.get("diagnostics") or []]
    return ctx


def register(ls: CsoundLanguageServer) -> None:
    def send(turn: str, event: ChatEvent) -> None:
        ls.protocol.notify(CHAT_EVENT, {"id": turn, "kind": event.kind, "data": _wire(event.data)})

    async def run_turn(turn: str, events: Any) -> dict[str, Any]:
        rt = runtime(ls)
        answer, error = "", ""

        async def pump() -> None:
            nonlocal answer, error
            async for event in events:
                send(turn, event)
                if event.kind == "done":
                    answer = event.data
                elif event.kind == "error":
                    error = event.data

        task = asyncio.ensure_future(pump())
        rt.chats[turn] = task
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the request itself was cancelled ($/cancelRequest); `task` went with it
            send(turn, ChatEvent("error", "stopped"))  # the Stop button (csound/chatCancel)
            return {"id": turn, "answer": answer, "error": "stopped"}
        finally:
            rt.chats.pop(turn, None)
        return {"id": turn, "answer": answer, "error": error or None}

    @ls.feature(CHAT)
    @ls.guard("chat", default=None)
    async def on_chat(params: Any) -> dict[str, Any]:
        data = plain(params)
        turn = str(data.get("id") or uuid.uuid4().hex)
        session = runtime(ls).chat_session()
        return await run_turn(
            turn, session.ask(str(data.get("text", "")), editor_context(ls, data.get("context")))
        )

    @ls.feature(CHAT_CANCEL)
    @ls.guard("chat_cancel")
    def on_chat_cancel(params: Any) -> None:
        task = runtime(ls).chats.get(str(plain(params).get("id", "")))
        if task is not None:
            task.cancel()

    @ls.feature(CHAT_HISTORY)
    @ls.guard("chat_history", default=[])
    def on_chat_history(params: Any) -> list[dict[str, str]]:  # noqa: ARG001
        return [m.as_dict() for m in runtime(ls).chat_session().history]

    @ls.feature(CHAT_CLEAR)
    @ls.guard("chat_clear")
    def on_chat_clear(params: Any) -> None:  # noqa: ARG001
        runtime(ls).chat_session().clear()

    @ls.feature(EXPLAIN)
    @ls.guard("explain", default=None)
    async def on_explain(params: Any) -> dict[str, Any] | None:
        data = plain(params)
        doc = ls.documents.get(data.get("uri", ""))
        if doc is None:
            return None
        selection, offset = "", None
        if data.get("range"):
            r = data["range"]
            start = offset_of(doc, r["start"]["line"], r["start"]["character"])
            end = offset_of(doc, r["end"]["line"], r["end"]["character"])
            selection = doc.text[start:end]
        if data.get("position"):
            p = data["position"]
            offset = offset_of(doc, p["line"], p["character"])
        build_outline(doc, ls.kb)  # what code_to_explain reads the block from
        code = code_to_explain(doc.text, offset, selection)
        rt = runtime(ls)
        sources: list[Source] = []

        async def events() -> Any:
            parts: list[str] = []
            chunks = explain(
                rt.service, code, kb=ls.kb, retriever=rt.retriever, sources_out=sources
            )
            async for chunk in chunks:
                if not parts:
                    yield ChatEvent("sources", sources)
                parts.append(chunk)
                yield ChatEvent("token", chunk)
            if parts:
                answer = "".join(parts)
                # Kept in the panel's history like a chat turn, under the title the panel showed.
                title = str(data.get("title") or "").strip()
                first = next((ln.strip() for ln in code.splitlines() if ln.strip()), "")
                rt.chat_session().remember(title or f"Explain: {first[:80]}", answer)
                yield ChatEvent("done", answer)
            else:
                yield ChatEvent("error", "No answer: the model is unavailable (see the log).")

        return await run_turn(str(data.get("id") or uuid.uuid4().hex), events())

    @ls.feature(AI_FIX)
    @ls.guard("ai_fix", default={"ok": False, "rounds": 0, "error": "internal error"})
    async def on_ai_fix(params: Any) -> dict[str, Any]:
        data = plain(params)
        uri = data.get("uri", "")
        doc = ls.documents.get(uri)
        if doc is None:
            return {"ok": False, "rounds": 0, "error": "document not open"}
        rt = runtime(ls)
        text = doc.text
        fix = await verified_fix(
            rt.service,
            text,
            str(data.get("message", "")),
            check=rt.check,
            line=data.get("line"),
            kb=ls.kb,
        )
        if not fix.ok:
            return {"ok": False, "rounds": fix.rounds, "error": fix.error}
        edit = fix_edit(doc, uri, text, fix)
        return {"ok": True, "rounds": fix.rounds, "error": None, "edit": unstructured(edit)}


def fix_edit(doc: Any, uri: str, text: str, fix: Any) -> types.WorkspaceEdit:
    """A verified fix of `text` (the document's text it was made for) as a WorkspaceEdit."""
    start, end = _position(doc, text, fix.start), _position(doc, text, fix.end)
    return types.WorkspaceEdit(
        changes={uri: [types.TextEdit(types.Range(start, end), fix.replacement)]}
    )


def _position(doc: Any, text: str, offset: int) -> types.Position:
    """Client position (negotiated encoding) of a character offset."""
    line = text.count("\n", 0, offset)
    char = offset - (text.rfind("\n", 0, offset) + 1)
    client_line, client_char = doc.pos_to_client(Pos(line, char))
    return types.Position(line=client_line, character=client_char)
