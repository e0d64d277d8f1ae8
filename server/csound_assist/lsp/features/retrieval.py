"""The example index in the editor (engine: `retrieval.keeper.IndexKeeper`).

- At start (once the knowledge base is loaded) the index is brought up to date in the background —
  the configured sources (manual examples, `rag.examples_dirs`) and, with `rag.index_workspace`,
  the workspace folders — with `$/progress` and the `index` field of `csound/status`.
- A saved Csound file in a workspace folder is re-indexed after a quiet second.
- request `csound/search` {query, k?, mode?} → [SearchResult.to_dict()] (the CLI's `--json` rows).
- request `csound/reindex` {full?} → the update report; errors answer with a message.
- Workspace folders added or removed: the new ones are indexed; the scope follows.
The AI features search through the same index (`ls.index_keeper.view()`). Results stay within
the configured sources and this workspace: the index is one per user, shared by all projects.
"""

from __future__ import annotations

import contextlib
from dataclasses import astuple
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.uris import to_fs_path

from csound_assist.lsp.progress import Progress
from csound_assist.lsp.server import CsoundLanguageServer
from csound_assist.lsp.wire import plain
from csound_assist.retrieval.keeper import STAGE_WORDS, IndexKeeper, report_dict

SEARCH = "csound/search"
REINDEX = "csound/reindex"
MODES = ("hybrid", "keyword", "dense", "opcode")
MAX_K = 50


def search_params(raw: Any) -> tuple[str, int | None, str]:
    """Validate `csound/search` params; a clear InvalidParams error otherwise."""
    data = plain(raw)
    if not isinstance(data, dict):
        raise JsonRpcInvalidParams("csound/search expects an object like {\"query\": \"…\"}")
    query = data.get("query")
    if not isinstance(query, str):
        raise JsonRpcInvalidParams("csound/search: `query` must be a string")
    k = data.get("k")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K):
        raise JsonRpcInvalidParams(f"csound/search: `k` must be an integer from 1 to {MAX_K}")
    mode = data.get("mode", "hybrid")
    if mode not in MODES:
        raise JsonRpcInvalidParams(f"csound/search: `mode` must be one of {', '.join(MODES)}")
    return query, k, mode


def workspace_folders(ls: CsoundLanguageServer) -> list[Path]:
    folders: list[Path] = []
    try:
        uris = [f.uri for f in ls.workspace.folders.values()]
        root = ls.workspace.root_uri
    except RuntimeError:  # no workspace yet
        return []
    for uri in ([root] if root else []) + uris:
        path = to_fs_path(uri)
        if path and Path(path) not in folders and Path(path).is_dir():
            folders.append(Path(path))
    return folders


def keeper(ls: CsoundLanguageServer) -> IndexKeeper:
    existing: IndexKeeper | None = getattr(ls, "index_keeper", None)
    if existing is not None:
        return existing

    def opener() -> Any:
        from csound_assist.retrieval import Index

        return Index.open(ls.config)

    made = IndexKeeper(opener, lambda status: ls.update_status(index=status))
    ls.index_keeper = made  # type: ignore[attr-defined]
    return made


def scope(ls: CsoundLanguageServer, index: Any) -> list[Path]:
    paths = list(index.sources)
    if ls.config.rag.index_workspace:
        paths += [p for p in workspace_folders(ls) if p not in paths]
    return paths


async def update_with_progress(ls: CsoundLanguageServer, *, full: bool = False) -> dict[str, Any]:
    k = keeper(ls)
    index = await k.open()
    if index is None:
        raise JsonRpcInternalError(k.status.get("message", "the example index is unavailable"))
    progress = Progress(ls, "Csound examples", prefix="csound-assist-index")
    await progress.begin("scanning files")

    def on_progress(stage: str, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else None
        progress.report(f"{STAGE_WORDS.get(stage, stage)} {done}/{total}", pct)

    paths = k.scope = scope(ls, index)
    try:
        report = await k.update(paths, full=full, progress=on_progress)
    except Exception as exc:
        progress.end(f"index update failed: {exc}")
        raise JsonRpcInternalError(f"index update failed: {exc}") from exc
    progress.end(k.status.get("message", "done"))
    return report_dict(report) if report is not None else {}


def _rag_key(ls: CsoundLanguageServer) -> tuple[Any, ...]:
    return astuple(ls.config.rag) + (ls.config.csound.manual_dir,)


def register(ls: CsoundLanguageServer) -> None:
    state: dict[str, Any] = {"key": None}

    async def refresh() -> None:
        # A failure is already in the status and the log; the editor works on without an index.
        with contextlib.suppress(Exception):
            await update_with_progress(ls)

    async def start_up() -> None:
        state["key"] = _rag_key(ls)
        k = keeper(ls)
        if not ls.config.rag.index_on_start:
            index = await k.open()  # status only: what is published, nothing built
            if index is not None:
                k.scope = scope(ls, index)
            return
        await refresh()

    async def reconfigure() -> None:
        old: IndexKeeper | None = getattr(ls, "index_keeper", None)
        ls.index_keeper = None  # type: ignore[attr-defined]
        if old is not None:
            await old.close()
        await start_up()

    def on_ready() -> None:
        ls.spawn(start_up())

    def on_config() -> None:
        if state["key"] is not None and state["key"] != _rag_key(ls):
            ls.spawn(reconfigure())

    ls.on("ready", on_ready)
    ls.on("config", on_config)

    def on_document(event: str, doc: Any) -> None:
        k: IndexKeeper | None = getattr(ls, "index_keeper", None)
        if event != "save" or k is None or not ls.config.rag.index_workspace:
            return
        path = to_fs_path(doc.uri)
        if path:
            k.saved(Path(path), workspace_folders(ls))

    ls.documents.on_change(on_document)

    @ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @ls.guard("workspace_folders")
    def on_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:  # noqa: ARG001
        """pygls has updated `ls.workspace`: index added folders; removed ones leave the scope."""
        k: IndexKeeper | None = getattr(ls, "index_keeper", None)
        if k is None:
            return  # not started yet: the start-up update reads the folders then
        if ls.config.rag.index_on_start:
            ls.spawn(refresh())
        elif k.current is not None:
            k.scope = scope(ls, k.current)

    @ls.feature(SEARCH)
    @ls.guard("search", [])
    async def on_search(params: Any) -> list[dict[str, Any]]:
        query, k, mode = search_params(params)
        if not query.strip():
            return []
        results = await keeper(ls).search(query, k, mode)
        return [r.to_dict() for r in results]

    @ls.feature(REINDEX)
    @ls.guard("reindex", None)
    async def on_reindex(params: Any) -> dict[str, Any]:
        data = plain(params)
        full = bool(data.get("full")) if isinstance(data, dict) else False
        return await update_with_progress(ls, full=full)

