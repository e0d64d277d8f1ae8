"""The `csound-assist` command line: one Typer app; each command group lives in its own module.

The CLI and the language server are two thin faces over the same engine functions.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer
from loguru import logger

from csound_assist import __version__

app = typer.Typer(
    name="csound-assist",
    help="A Csound coding assistant: knowledge base, diagnostics, retrieval and AI help.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"csound-assist {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", envvar="CSOUND_ASSIST_LOG_LEVEL", help="stderr log level.")
    ] = "WARNING",
) -> None:
    from csound_assist.logs import setup_logging

    setup_logging(log_level)


@app.command("config")
def config_cmd(
    workspace: Annotated[
        Path | None, typer.Option(help="Workspace folder whose .csound-assist.toml applies.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective configuration and where each value came from."""
    import json

    from rich.console import Console
    from rich.table import Table

    from csound_assist.config import load_config

    cfg = load_config(workspace=workspace or Path.cwd())
    model = _serving_model(cfg)
    if json_out:
        data = {"config": cfg.to_dict(), "sources": cfg.sources, "problems": cfg.problems,
                "model": model.as_dict()}
        typer.echo(json.dumps(data, indent=2))
        return
    console = Console()
    table = Table("key", "value", "from", title="csound-assist configuration")
    for section, values in cfg.to_dict().items():
        for key, value in values.items():
            table.add_row(f"{section}.{key}", repr(value), cfg.sources.get(f"{section}.{key}", ""))
    console.print(table)
    console.print(f"[bold]model:[/] {model.summary()}", highlight=False)
    for problem in cfg.problems:
        console.print(f"[yellow]warning:[/] {problem}")


def _serving_model(cfg):  # noqa: ANN001, ANN202 — heavy imports stay inside
    """Which model would serve the AI features, and where it came from (Ollama is probed)."""
    import asyncio

    from csound_assist.model.service import describe_choice

    return asyncio.run(describe_choice(cfg))


def main() -> None:
    app()


# Command groups register themselves on `app`; a missing optional one must not break the others.
for _module in ("knowledge", "parse", "lsp", "check", "retrieval", "ai", "model", "audio", "tour"):
    try:
        importlib.import_module(f"csound_assist.cli.{_module}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"csound_assist.cli.{_module}":
            logger.warning("command group {} unavailable: {}", _module, _exc)
