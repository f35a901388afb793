"""`kiok` admin commands: channel memory policy (sharing, retention) and user opt-out."""

from typing import Annotated

import typer

from app.cli import cli, load_settings
from app.cli_memory import _fail, _memory, resolve_channel, resolve_team


@cli.command()
def policy(
    channel: Annotated[str, typer.Argument(help="Channel name or id.")],
    share: Annotated[
        bool | None,
        typer.Option("--share/--no-share", help="Let recalls from other channels see this public one."),
    ] = None,
    followups: Annotated[
        bool | None,
        typer.Option(
            "--followups/--no-followups", help="Answer replies in threads Kiok answered, unmentioned."
        ),
    ] = None,
    retention_days: Annotated[
        int | None, typer.Option(help="Erase memory older than this many days (0 = keep forever).")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
) -> None:
    """Show or change a channel's memory policy. Private channels and DMs can never be shared."""
    settings = load_settings()
    with _memory(settings) as memory:
        team_id = resolve_team(memory, team)
        channel_id = resolve_channel(memory, team_id, channel)
        record = memory.directory.get_channel(team_id, channel_id)
        if share and (record is None or record.is_private or record.kind != "channel"):
            raise _fail(f"{channel} is not a public channel: its memory stays inside it.")
        if share is not None or retention_days is not None or followups is not None:
            retention: int | bool | None = False if retention_days is None else (retention_days or None)
            memory.policies.update(
                team_id, channel_id, shared=share, retention_days=retention, followups=followups
            )
        current = memory.policies.get(team_id, channel_id)
    kept = f"{current.retention_days} days" if current.retention_days else "forever"
    typer.echo(
        f"{channel}: shared with the workspace: {'yes' if current.shared else 'no'}; memory kept {kept}; "
        f"follow-ups answered: {'yes' if current.followups else 'no'}."
    )


@cli.command()
def optout(
    user: Annotated[str, typer.Argument(help="Slack user id (U…).")],
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
) -> None:
    """Erase a user's messages and never store their messages again (until `kiok optin`)."""
    settings = load_settings()
    with _memory(settings) as memory:
        result = memory.opt_out(resolve_team(memory, team), user)
    typer.echo(f"{user} opted out: {result.messages} messages erased; new ones will not be stored.")


@cli.command()
def optin(
    user: Annotated[str, typer.Argument(help="Slack user id (U…).")],
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
) -> None:
    """Store a user's messages again from now on."""
    settings = load_settings()
    with _memory(settings) as memory:
        memory.opt_in(resolve_team(memory, team), user)
    typer.echo(f"{user} opted in: their new messages will be remembered.")
