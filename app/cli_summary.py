"""`kiok` summary commands: summarize, brief, decisions."""

from datetime import UTC, datetime
from typing import Annotated

import typer

from app.cli import cli, load_settings
from app.cli_memory import _fail, _memory, resolve_channel, resolve_team


def _since(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"--since {value!r} is not a date: use YYYY-MM-DD", 2) from None
    return f"{(moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp():.6f}"


@cli.command()
def summarize(
    channel: Annotated[str | None, typer.Option(help="Only this channel (name or id).")] = None,
    since: Annotated[str | None, typer.Option(help="Only conversation since this date (YYYY-MM-DD).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Run the jobs now and wait for them.")] = False,
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
) -> None:
    """Queue summaries of quiet threads, past days and weeks; with --wait, run them now."""
    from app.bootstrap import build_summaries

    settings = load_settings()
    with _memory(settings) as memory:
        team_id = resolve_team(memory, team)
        channel_id = resolve_channel(memory, team_id, channel) if channel else None
        summaries = build_summaries(settings, memory)
        queued = summaries.planner.plan(channel_id=channel_id, since=_since(since), flush=True)
        typer.echo(f"Queued {queued} summarization jobs.")
        if wait:
            done = summaries.runner.run_pending()
            counts = summaries.queue.counts()
            typer.echo(f"Ran {done} jobs; queue now: {counts}.")
            if counts.get("failed"):
                raise _fail("Some jobs failed: see the log, then `kiok summarize --wait` retries them.")


@cli.command()
def brief(
    channel: Annotated[str, typer.Argument(help="Channel name or id.")],
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
) -> None:
    """Print a channel's current project brief."""
    from memory.summaries import SummaryStore

    settings = load_settings()
    with _memory(settings) as memory:
        team_id = resolve_team(memory, team)
        channel_id = resolve_channel(memory, team_id, channel)
        text = SummaryStore(memory.store.engine).get_brief(team_id, channel_id)
    typer.echo(text or f"No brief for {channel} yet: run `kiok summarize --channel {channel} --wait`.")


@cli.command()
def decisions(
    channel: Annotated[str, typer.Argument(help="Channel name or id.")],
    since: Annotated[str | None, typer.Option(help="Only decisions since this date (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
) -> None:
    """List a channel's decisions with dates and sources; superseded ones are marked."""
    import json

    from memory.summaries import SummaryStore

    settings = load_settings()
    with _memory(settings) as memory:
        team_id = resolve_team(memory, team)
        channel_id = resolve_channel(memory, team_id, channel)
        items = SummaryStore(memory.store.engine).items(
            team_id, channel_id, kinds=["decision"], live_only=False, since=_since(since)
        )
    if as_json:
        rows = [
            {
                "id": i.id,
                "text": i.text,
                "since": i.valid_from,
                "until": i.valid_to,
                "superseded_by": i.superseded_by,
                "sources": list(i.sources),
            }
            for i in items
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo(f"No decisions recorded for {channel}.")
    for item in items:
        day = datetime.fromtimestamp(float(item.valid_from), UTC).strftime("%a %d %b %Y")
        mark = f"  [superseded by #{item.superseded_by}]" if item.superseded_by else ""
        typer.echo(f"#{item.id} {day}: {item.text}{mark}  (sources: {', '.join(item.sources)})")
