"""`kiok sandbox`: try the whole product locally in one command, with no Slack workspace and no GPU."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from app.cli import cli, load_settings


@cli.command()
def sandbox(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the sandbox keeps its stores (default: a `sandbox` folder in the data dir)."
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start from an empty workspace and empty memory.")
    ] = False,
    seed: Annotated[
        str | None, typer.Option(help="Load a bundled workspace first: `demo` (English and Korean).")
    ] = None,
    script: Annotated[
        Path | None,
        typer.Option(help="Run console lines from this file (`-`: standard input) instead of a prompt."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="With --script: print a JSON transcript instead of the text.")
    ] = False,
    llm: Annotated[
        str, typer.Option(help="`auto` (a model server, else the small in-process model), `ollama`, `local`.")
    ] = "auto",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for one reply of Kiok.")] = 180.0,
) -> None:
    """Run Kiok against an emulated Slack workspace on this machine and talk to it as its people."""
    from app.bootstrap import StartupError
    from app.sandbox.models import ModelUnavailable
    from app.sandbox.runtime import Sandbox, SandboxError, SandboxOptions
    from memory.errors import StoreError

    if llm not in ("auto", "ollama", "local"):
        typer.echo(f"--llm must be auto, ollama or local, not {llm!r}", err=True)
        raise typer.Exit(2)
    if json_output and script is None:
        typer.echo("--json needs --script (it prints the transcript of a scripted session)", err=True)
        raise typer.Exit(2)
    lines = None
    if script is not None:
        try:
            lines = sys.stdin.readlines() if str(script) == "-" else script.read_text("utf-8").splitlines()
        except OSError as exc:
            typer.echo(f"Cannot read the script {script}: {exc.strerror}", err=True)
            raise typer.Exit(2) from None
    options = SandboxOptions(
        data_dir=data_dir,
        fresh=fresh,
        seed=seed,
        script=script,
        json=json_output,
        llm=llm,  # type: ignore[arg-type]
        timeout=timeout,
    )
    settings = load_settings()
    runner = Sandbox(settings, options, notice=lambda text: typer.echo(text, err=True))
    try:
        code = runner.run(lines)
    except (SandboxError, ModelUnavailable, StartupError, StoreError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)
