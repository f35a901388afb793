"""The `kiok` command line: run, migrate, doctor."""

import logging
from typing import Annotated

import typer
from pydantic import ValidationError

from app import __version__
from app.settings import Settings

cli = typer.Typer(
    name="kiok",
    help="Kiok (기억): a Slack bot with persistent memory that runs on your own machines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def load_settings() -> Settings:
    """Settings from the environment and `.env`, or exit 2 listing each bad variable and its fix."""
    try:
        return Settings()
    except ValidationError as exc:
        typer.echo("Kiok's configuration is invalid:", err=True)
        for err in exc.errors():
            var = "KIOK_" + "__".join(str(p) for p in err["loc"]).upper()
            typer.echo(f"  - {var}: {err['msg']}", err=True)
        typer.echo("See .env.example for every setting and its default.", err=True)
        raise typer.Exit(2) from None


def _logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kiok {__version__}")
        raise typer.Exit()


@cli.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Kiok (기억): a Slack bot with persistent memory that runs on your own machines."""


@cli.command()
def run() -> None:
    """Connect to Slack over Socket Mode and answer until stopped (applies migrations first)."""
    from app.bootstrap import StartupError, run_forever
    from memory.errors import StoreError

    settings = load_settings()
    _logging(settings)
    try:
        run_forever(settings)
    except (StartupError, StoreError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@cli.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from memory.db import create_db_engine, upgrade
    from memory.errors import StoreError

    settings = load_settings()
    try:
        before, after = upgrade(create_db_engine(settings.db_url))
    except StoreError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if before == after:
        typer.echo(f"Database already at migration {after}.")
    else:
        typer.echo(f"Database migrated from {before or 'empty'} to {after}.")


@cli.command()
def doctor() -> None:
    """Check the Slack tokens, the LLM server and model, the database and the data directory."""
    from app.doctor import run_checks

    settings = load_settings()
    checks = run_checks(settings)
    for check in checks:
        mark = typer.style("ok  ", fg="green") if check.ok else typer.style("FAIL", fg="red")
        typer.echo(f"{mark} {check.name}: {check.detail}")
    failed = sum(not c.ok for c in checks)
    if failed:
        typer.echo(f"\n{failed} problem(s) found.", err=True)
        raise typer.Exit(1)
    typer.echo("\nEverything Kiok needs is in place.")


def main() -> None:
    cli(prog_name="kiok")


from app import cli_admin, cli_memory, cli_sandbox, cli_summary  # noqa: E402, F401  (register commands)

if __name__ == "__main__":
    main()
