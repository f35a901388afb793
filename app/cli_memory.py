"""`kiok` memory commands: import, backfill, recall, reindex, forget, stats."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from app.cli import cli, load_settings
from app.settings import Settings

if TYPE_CHECKING:
    from memory.service import MemoryService


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@contextmanager
def _memory(settings: Settings) -> Iterator["MemoryService"]:
    """The memory service for a CLI command, closed afterwards; domain errors become exit 1."""
    from app.bootstrap import build_memory, open_store
    from memory.errors import StoreError

    try:
        memory = build_memory(settings, open_store(settings))
    except StoreError as exc:
        raise _fail(str(exc)) from None
    try:
        yield memory
    except StoreError as exc:
        raise _fail(str(exc)) from None
    finally:
        memory.indexer.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=False,
        disable=not sys.stderr.isatty(),
        console=None,
    )


def _index(memory: "MemoryService", team_id: str | None = None) -> int:
    pending = memory.store.count_pending_index(team_id=team_id)
    if not pending:
        return 0
    with _progress() as bar:
        task = bar.add_task("embedding", total=pending)
        stats = memory.indexer.index_pending(team_id=team_id, progress=lambda n: bar.advance(task, n))
    return stats.indexed


def resolve_team(memory: "MemoryService", team: str | None) -> str:
    teams = sorted({t for t, _c, _n in memory.store.channels_with_messages()} | memory.directory.team_ids())
    if team:
        return team
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise _fail("Kiok holds no workspace yet: run `kiok import` or `kiok run` first.")
    raise _fail(f"Several workspaces are stored ({', '.join(teams)}): pass --team.")


def resolve_channel(memory: "MemoryService", team_id: str, channel: str) -> str:
    found = memory.directory.find_channel(team_id, channel.lstrip("#"))
    if found is None:
        raise _fail(f"No channel {channel!r} in workspace {team_id}: use its name or id (see `kiok stats`).")
    return found


@cli.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="Slack export .zip or the directory it unpacks to.")],
    team: Annotated[str | None, typer.Option(help="Workspace id, if users.json does not say.")] = None,
) -> None:
    """Import a Slack workspace export (idempotent: importing twice changes nothing)."""
    from app.importer.export import NotAnExport, import_export
    from app.importer.source import check_export

    settings = load_settings()
    try:
        check_export(path)  # before loading any model: a wrong path fails in a blink
    except NotAnExport as exc:
        raise _fail(f"{exc}. Pass the .zip Slack gives you, or the folder it unpacks to.") from None
    with _memory(settings) as memory:
        with _progress() as bar:
            task = bar.add_task("reading", total=None)
            try:
                summary = import_export(
                    path, memory, team_id=team, progress=lambda d, t: bar.update(task, completed=d, total=t)
                )
            except NotAnExport as exc:
                raise _fail(f"{exc}. Pass the .zip Slack gives you, or the folder it unpacks to.") from None
        indexed = _index(memory, summary.team_id)
    for name, reason in summary.skipped:
        typer.echo(f"skipped {name}: {reason}", err=True)
    for name, reason in summary.ignored:
        typer.echo(f"imported {name} partly: {reason}", err=True)
    typer.echo(
        f"Imported workspace {summary.team_id}: {summary.channels} channels, {summary.messages} messages "
        f"({summary.new_messages} new or changed), {summary.threads} threads, {summary.users} users; "
        f"{len(summary.skipped)} files skipped; {indexed} messages indexed."
    )
    if not summary.imported_anything:
        raise _fail("Nothing could be imported.")


@cli.command()
def recall(
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    channel: Annotated[
        str | None, typer.Option(help="Conversation the recall is made from (name or id).")
    ] = None,
    k: Annotated[int | None, typer.Option(help="Number of hits.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    queries: Annotated[
        Path | None, typer.Option(help="JSONL file of {query, channel, k}; one JSON line out per query.")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
) -> None:
    """Search memory as a conversation sees it: that channel, plus public channels an admin shared."""
    from memory.retrieval import RecallQuery

    settings = load_settings()
    if queries is None and (query is None or channel is None):
        raise _fail(
            'Usage: kiok recall "<query>" --channel <name or id> [--k N] [--json], or --queries FILE', 2
        )
    with _memory(settings) as memory:
        team_id = resolve_team(memory, team)
        if queries is not None:
            for number, line in enumerate(queries.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    spec = json.loads(line)
                    q = RecallQuery(
                        team_id,
                        resolve_channel(memory, team_id, spec["channel"]),
                        spec["query"],
                        k=spec.get("k"),
                    )
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise _fail(
                        f'{queries}:{number}: expected {{"query", "channel", "k"?}} ({exc})'
                    ) from None
                hits = memory.recall(q)
                line_out = {"query": q.text, "channel": q.channel, "hits": [h.as_json() for h in hits]}
                typer.echo(json.dumps(line_out, ensure_ascii=False))
            return
        assert query is not None and channel is not None
        hits = memory.recall(RecallQuery(team_id, resolve_channel(memory, team_id, channel), query, k=k))
        if as_json:
            typer.echo(json.dumps([h.as_json() for h in hits], ensure_ascii=False, indent=2))
            return
        if not hits:
            typer.echo("No memory matches.")
        for hit in hits:
            snippet = " ".join(hit.text.split())[:160]
            typer.echo(f"{hit.score:.4f}  {hit.channel} {hit.ts}  <{hit.author}> {snippet}")


@cli.command()
def reindex(
    team: Annotated[str | None, typer.Option(help="Workspace id (default: all).")] = None,
) -> None:
    """Rebuild the vector index from SQL (after changing the embedding model, or if the index is lost)."""
    settings = load_settings()
    with _memory(settings) as memory:
        memory.indexer.rebuild()
        cleared = memory.store.clear_index_hashes(team_id=team)
        if memory.summary_index is not None:
            memory.summary_index.clear_unit_hashes()
        indexed = _index(memory, team)
    typer.echo(f"Reindexed {indexed} of {cleared} messages.")


@cli.command()
def stats(team: Annotated[str | None, typer.Option(help="Workspace id (default: all).")] = None) -> None:
    """Messages per channel, what is waiting to be indexed, and the index size."""
    settings = load_settings()
    with _memory(settings) as memory:
        rows = memory.store.channels_with_messages(team)
        names = memory.directory.channel_names()
        for team_id, channel, count in sorted(rows):
            label = names.get((team_id, channel), "")
            typer.echo(f"{team_id} {channel} {('#' + label) if label else '':<24} {count:>9} messages")
        total = sum(n for _t, _c, n in rows)
        pending = memory.store.count_pending_index(team_id=team)
        points = memory.indexer.point_count()
        typer.echo(
            f"total: {total} messages in {len(rows)} conversations; index: {points} points, {pending} pending"
        )


@cli.command()
def forget(
    channel: Annotated[str | None, typer.Option(help="Channel name or id.")] = None,
    thread: Annotated[str | None, typer.Option(help="Thread ts (with --channel).")] = None,
    message: Annotated[str | None, typer.Option(help="Message ts (with --channel).")] = None,
    user: Annotated[str | None, typer.Option(help="User id: every message they wrote.")] = None,
    team: Annotated[str | None, typer.Option(help="Workspace id (when several are stored).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase memory for good, from SQL and the index: a message, a thread, a user's messages or a channel."""
    if not any((channel, user)) or ((thread or message) and not channel):
        raise _fail("Usage: kiok forget --channel C [--thread TS | --message TS] | --user U [--channel C]", 2)
    settings = load_settings()
    with _memory(settings) as memory:
        team_id = resolve_team(memory, team)
        channel_id = resolve_channel(memory, team_id, channel) if channel else None
        broad = not (thread or message)
        if broad and not yes:
            what = f"every message of {user}" if user else f"all memory of channel {channel}"
            typer.confirm(f"Erase {what}{' in ' + str(channel) if user and channel else ''}?", abort=True)
        result = memory.forget(team_id, channel_id=channel_id, thread_ts=thread, ts=message, user_id=user)
    typer.echo(f"Forgot {result.messages} messages.")


@cli.command()
def backfill(
    channel: Annotated[str, typer.Argument(help="Channel name or id the bot is a member of.")],
    days: Annotated[int | None, typer.Option(help="How far back (default: all history).")] = None,
) -> None:
    """Read a channel's history and threads from Slack into memory (resumable, rate-limit aware)."""
    from slack_sdk.errors import SlackApiError

    from app.backfill import backfill_channel
    from app.bolt_app import make_web_client
    from memory.sync_state import SyncStore

    settings = load_settings()
    if settings.slack.bot_token is None:
        raise _fail("\n".join(settings.slack.missing()[:1]))
    client = make_web_client(settings)
    with _memory(settings) as memory:
        try:
            team_id = str(client.auth_test()["team_id"])
            channel_id = memory.directory.find_channel(team_id, channel.lstrip("#")) or channel.lstrip("#")
            with _progress() as bar:
                task = bar.add_task(f"backfilling {channel}", total=None)
                result = backfill_channel(
                    client,
                    memory,
                    SyncStore(memory.store.engine),
                    team_id=team_id,
                    channel=channel_id,
                    days=days,
                    progress=lambda n: bar.advance(task, n),
                )
        except SlackApiError as exc:
            raise _fail(
                f"Slack refused ({exc.response.get('error')}): is the bot a member of {channel}?"
            ) from None
        indexed = _index(memory, team_id)
    resumed = " (resumed)" if result.resumed else ""
    typer.echo(
        f"Backfilled {channel}{resumed}: {result.messages} messages, {result.threads} threads; "
        f"{indexed} indexed."
    )
