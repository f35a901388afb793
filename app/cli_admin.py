"""`kiok` admin commands: channel memory policy (sharing, retention), user opt-out, and re-applying secret
redaction to messages stored before it (or a new pattern) existed."""

from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli import cli, load_settings
from app.cli_memory import _fail, _index, _memory, resolve_channel, resolve_team

if TYPE_CHECKING:
    from memory.service import MemoryService

REDACT_BATCH = 1000


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


@cli.command("redact-existing")
def redact_existing(
    team: Annotated[str | None, typer.Option(help="Workspace id (default: all).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would change.")] = False,
) -> None:
    """Redact secrets in messages stored before redaction shipped (or before a new pattern), and re-index
    the changed ones so no old vector payload keeps a secret."""
    settings = load_settings()
    with _memory(settings) as memory:
        scanned, kinds = redact_stored(memory, team_id=team, dry_run=dry_run)
        indexed = 0 if dry_run else _index(memory, team)
    found = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()) or "no secrets"
    verb = "would change" if dry_run else "changed"
    typer.echo(f"Scanned {scanned} messages: {found}; {verb} {kinds.total()} secrets; re-indexed {indexed}.")


def redact_stored(
    memory: "MemoryService", *, team_id: str | None = None, dry_run: bool = False
) -> tuple[int, Counter[str]]:
    """Apply `memory.redactor` to every stored, undeleted message; returns (messages scanned, secrets
    found by kind). Changed messages are written back through the store, which queues them for re-index."""
    from dataclasses import replace

    from sqlalchemy import select

    from memory.models import Message
    from memory.records import MessageRecord

    scanned, kinds, after = 0, Counter[str](), 0
    while True:
        query = select(Message).where(Message.id > after, Message.deleted_at.is_(None)).order_by(Message.id)
        if team_id:
            query = query.where(Message.team_id == team_id)
        with memory.store.engine.connect() as conn:
            rows = conn.execute(query.limit(REDACT_BATCH)).mappings().all()
        if not rows:
            return scanned, kinds
        after, scanned = rows[-1]["id"], scanned + len(rows)
        changed = []
        for row in rows:
            result = memory.redactor.redact(row["text"] or "")
            if result.found:
                kinds.update(result.found)
                record = MessageRecord(
                    **{k: row[k] for k in ("team_id", "channel_id", "ts", "user_id", "thread_ts", "bot_id")},
                    text=row["text"],
                    subtype=row["subtype"],
                    edited_ts=row["edited_ts"],
                )
                changed.append(replace(record, text=result.text))
        if changed and not dry_run:
            memory.store.upsert_messages(changed)
