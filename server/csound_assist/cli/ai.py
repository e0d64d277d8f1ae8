"""AI commands: generate, explain, debug, chat, complete-ai — streaming with Rich.

`complete FILE LINE COL` (static completion) belongs to the language-server commands; the model's
inline suggestion for a position is `complete-ai FILE LINE COL`.
"""

from __future__ import annotations

import asyncio
import difflib
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape

from csound_assist import files
from csound_assist.cli import app
from csound_assist.config import Config, load_config

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _config() -> Config:
    config = load_config(workspace=Path.cwd())
    for problem in config.problems:
        err.print(f"[yellow]config:[/] {problem}", markup=True)
    return config


def _service(config: Config):  # noqa: ANN202 — heavy imports stay inside the commands
    from csound_assist.model import ModelService

    return ModelService(config, notify=lambda m: err.print(f"[yellow]model:[/] {m}", markup=True))


def _check(config: Config):  # noqa: ANN202
    from csound_assist.ai.verify import check_csd

    async def check(text: str):  # noqa: ANN202
        return await check_csd(text, config)

    return check


def _read(path: str) -> tuple[str, str]:
    """(text, name) of FILE, or of stdin for `-`."""
    if path == "-":
        return sys.stdin.read(), "stdin"
    try:
        return files.read_bytes(path).decode("utf-8"), Path(path).name
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"cannot read {path}: {exc}", markup=False)
        raise typer.Exit(2) from None


def _write_chunk(chunk: str) -> None:
    out.out(chunk, end="")
    out.file.flush()


@app.command()
def generate(
    description: Annotated[str, typer.Argument(help="What the CSD should do.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the CSD here.")
    ] = None,
    rounds: Annotated[
        int, typer.Option(min=0, max=3, help="Repair rounds after a failed compile.")
    ] = 3,
) -> None:
    """Write a complete CSD from a description; only a CSD that compiles is written."""
    from csound_assist.ai.generate import generate_csd, write_csd
    from csound_assist.ai.grounding import default_retriever
    from csound_assist.prompts import default_cheatsheet

    config = _config()

    async def run() -> int:
        service = _service(config)
        try:
            result = await generate_csd(
                service,
                description,
                check=_check(config),
                retriever=default_retriever(config),
                cheatsheet=default_cheatsheet(),
                max_repairs=rounds,
                on_chunk=lambda c: err.out(c, end="") if config.output.stream else None,
                on_round=lambda n, e: err.print(
                    f"\n[red]round {n} failed:[/] {escape(e)}", markup=True
                ),
            )
        finally:
            await service.aclose()
        err.print()
        for entry in result.log:
            err.print(entry, markup=False)
        if not result.ok:
            err.print(
                f"[red]No compiling CSD after {result.rounds} round(s).[/] Last error: "
                f"{escape(result.error)}",
                markup=True,
            )
            return 1
        if output is None:
            out.out(result.csd or "")
        else:
            write_csd(result, output)
            err.print(f"[green]wrote {output}[/] (compiled, round {result.rounds})", markup=True)
        return 0

    raise typer.Exit(asyncio.run(run()))


@app.command()
def explain(
    file: Annotated[str, typer.Argument(help="A .csd/.orc file, or - to read stdin.")],
) -> None:
    """Explain Csound code, grounded in the manual entries of the opcodes it uses."""
    from csound_assist.ai.explain import explain as explain_code
    from csound_assist.ai.grounding import default_retriever, load_kb

    text, _name = _read(file)
    if not text.strip():
        err.print("nothing to explain: the input is empty")
        raise typer.Exit(2)
    config = _config()

    async def run() -> int:
        service = _service(config)
        got = False
        try:
            async for chunk in explain_code(
                service, text, kb=load_kb(), retriever=default_retriever(config)
            ):
                got = True
                _write_chunk(chunk)
        finally:
            await service.aclose()
        out.out("")
        return 0 if got else 1

    raise typer.Exit(asyncio.run(run()))


@app.command()
def debug(
    file: Annotated[Path, typer.Argument(help="The .csd file to fix.")],
    error: Annotated[
        str | None, typer.Option("--error", help="The error message, if known.")
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="Apply the verified fix to FILE.")] = False,
) -> None:
    """Fix a compile error with the model; only a fix that compiles is shown (as a diff)."""
    from csound_assist.ai.fix import verified_fix
    from csound_assist.ai.grounding import load_kb

    text, _ = _read(str(file))
    config = _config()
    check = _check(config)

    async def run() -> int:
        message = error
        if message is None:
            compiled = await check(text)
            if compiled.ok:
                err.print(f"[green]{file} compiles;[/] nothing to fix.", markup=True)
                return 0
            message = compiled.message
        err.print(f"[red]error:[/] {message}", markup=True)
        service = _service(config)
        try:
            fix = await verified_fix(service, text, message, check=check, kb=load_kb())
        finally:
            await service.aclose()
        if not fix.ok:
            err.print(
                f"[red]No verified fix after {fix.rounds} round(s):[/] {fix.error}", markup=True
            )
            return 1
        diff = difflib.unified_diff(
            text.splitlines(keepends=True),
            fix.fixed_text.splitlines(keepends=True),
            str(file),
            f"{file} (fixed)",
        )
        out.out("".join(diff))
        if write:
            file.write_text(fix.fixed_text, encoding="utf-8")
            err.print(f"[green]wrote {file}[/]", markup=True)
        return 0

    raise typer.Exit(asyncio.run(run()))


@app.command("complete-ai")
def complete_ai(
    file: Annotated[Path, typer.Argument(help="The file.")],
    line: Annotated[int, typer.Argument(min=1, help="1-based line.")],
    col: Annotated[int, typer.Argument(min=1, help="1-based column.")],
) -> None:
    """Print the model's inline suggestion at FILE:LINE:COL."""
    from csound_assist.ai.complete import InlineCompleter
    from csound_assist.ai.context import offset_at
    from csound_assist.ai.grounding import load_kb

    text, _ = _read(str(file))
    config = _config()

    async def run() -> int:
        service = _service(config)
        kb = load_kb()
        try:
            completer = InlineCompleter(service, known_opcodes=kb.opcodes if kb else None)
            result = await completer.complete(text, offset_at(text, line - 1, col - 1))
        finally:
            await service.aclose()
        if not result.text:
            if result.dropped:
                err.print(
                    f"no suggestion: the model's suggestion {result.raw.strip()[:80]!r} was "
                    f"dropped by the filter ({result.dropped})",
                    markup=False,
                    soft_wrap=True,
                )
            else:
                err.print("no suggestion: the model wrote nothing here", markup=False)
            return 1
        # Raw, not through Rich: Rich would turn the suggestion's tabs into spaces.
        sys.stdout.write(result.text)
        sys.stdout.flush()
        return 0

    raise typer.Exit(asyncio.run(run()))


@app.command()
def chat(
    workspace: Annotated[Path | None, typer.Option(help="Workspace whose history to use.")] = None,
) -> None:
    """Chat about Csound (history per workspace; /help for commands)."""
    from csound_assist.ai.chat import ChatSession, history_file
    from csound_assist.ai.grounding import default_retriever, load_kb
    from csound_assist.paths import state_dir
    from csound_assist.prompts import default_cheatsheet

    config = _config()
    root = str((workspace or Path.cwd()).resolve())

    async def run() -> int:
        service = _service(config)
        session = ChatSession(
            service,
            check=_check(config),
            kb=load_kb(),
            retriever=default_retriever(config),
            cheatsheet=default_cheatsheet(),
            history_path=history_file(root),
        )
        prompt = None
        if sys.stdin.isatty():
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory

            prompt = PromptSession(history=FileHistory(str(state_dir() / "chat-input-history")))
        err.print("csound-assist chat — /help for commands, Ctrl-D to quit")
        try:
            while True:
                try:
                    if prompt is not None:
                        line = await prompt.prompt_async("> ")
                    else:
                        line = await asyncio.to_thread(sys.stdin.readline)
                        if not line:
                            break
                except (EOFError, KeyboardInterrupt):
                    break
                if not line.strip():
                    continue
                if line.strip() in ("/quit", "/exit"):
                    break
                async for event in session.ask(line):
                    if event.kind == "token":
                        _write_chunk(event.data)
                    elif event.kind == "sources" and event.data:
                        names = ", ".join(s.title for s in event.data)
                        err.print(f"[dim]sources: {names}[/]", markup=True)
                    elif event.kind == "done":
                        if line.startswith("/"):
                            out.print(Markdown(event.data))
                        else:
                            out.out("")
                    elif event.kind in ("error", "info"):
                        err.print(f"[yellow]{event.data}[/]", markup=True)
        finally:
            await service.aclose()
        return 0

    raise typer.Exit(asyncio.run(run()))
