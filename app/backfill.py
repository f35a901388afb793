"""Read a channel's history and threads from Slack into memory: paginated, rate-limit aware
(the WebClient waits out 429 `Retry-After`), resumable from a cursor saved in SQL after every page,
and idempotent on `(team, channel, ts)`."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from app.slack_data import fetch_thread, history_pages, message_record
from memory.service import MemoryService
from memory.sync_state import SyncState, SyncStore

log = logging.getLogger(__name__)

JOB = "backfill"
PAGE = 200


@dataclass
class BackfillResult:
    channel: str
    messages: int = 0
    threads: int = 0
    resumed: bool = False


def backfill_channel(
    client: WebClient,
    memory: MemoryService,
    sync: SyncStore,
    *,
    team_id: str,
    channel: str,
    days: int | None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> BackfillResult:
    """Store the channel's messages from the last `days` days (all history if None), threads included."""
    oldest = "" if days is None else f"{((now or datetime.now(UTC)) - timedelta(days=days)).timestamp():.6f}"
    state = sync.get(team_id, channel, JOB)
    resumed = state is not None and not state.done and state.oldest == oldest
    if not resumed:
        state = SyncState(cursor="", oldest=oldest, state=json.dumps({"threads": [], "history_done": False}))
    assert state is not None
    work = json.loads(state.state or "{}")
    threads: list[str] = work.get("threads", [])
    result = BackfillResult(channel=channel, resumed=resumed)

    pages = (
        ()
        if work.get("history_done")
        else history_pages(client, channel, oldest=oldest, cursor=state.cursor, page_size=PAGE)
    )
    for page, cursor in pages:
        records = [r for m in page if (r := message_record(team_id, channel, m))]
        memory.ingest(records)
        result.messages += len(records)
        threads += [m["ts"] for m in page if m.get("reply_count") and m.get("thread_ts", m["ts"]) == m["ts"]]
        work = {"threads": threads, "history_done": not cursor}
        sync.put(team_id, channel, JOB, SyncState(cursor=cursor, oldest=oldest, state=json.dumps(work)))
        if progress is not None:
            progress(len(records))

    while threads:
        thread_ts = threads[0]
        replies = fetch_thread(client, channel, thread_ts, page_size=PAGE)
        records = [r for m in replies if (r := message_record(team_id, channel, m))]
        memory.ingest(records)
        result.messages += len(records)
        result.threads += 1
        threads.pop(0)
        work["threads"] = threads
        sync.put(team_id, channel, JOB, SyncState(cursor="", oldest=oldest, state=json.dumps(work)))
        if progress is not None:
            progress(len(records))

    sync.put(team_id, channel, JOB, SyncState(cursor="", oldest=oldest, state="", done=True))
    log.info("backfilled %s: %d messages, %d threads", channel, result.messages, result.threads)
    return result


__all__ = ["BackfillResult", "backfill_channel"]
