"""Which conversation is ready to be summarized, and when a channel's ready segments form a batch.

A segment is the unit that becomes one episode: the new messages of a thread that has gone quiet, or the
loose (top-level) messages of a finished day. A channel's ready segments are queued as one batch job when
their text reaches `batch_min_tokens` or the oldest has waited `batch_max_wait_hours`. The job's key is a
digest of the segments' ranges, so planning again (or from another process) queues the same batch once,
and a worker that crashed mid-batch is replaced by one that runs the very same batch. While a channel has
a batch queued or running, nothing more is planned for it: batches of a channel never overlap.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from memory.records import MessageRecord
from memory.summaries import SummaryStore
from summarizer.config import SummarySettings
from summarizer.tokens import estimate_tokens

BATCH = "summarize_batch"
MAX_BATCH_TOKENS = 6000  # one job's text at most: bounds what a crash repeats (a backlog becomes several)


@dataclass(frozen=True)
class Segment:
    """Ready conversation that becomes one episode (`kind` thread or day, `key` the episode's key)."""

    team: str
    channel: str
    kind: str
    key: str
    thread_ts: str | None
    messages: tuple[MessageRecord, ...]
    ready_at: datetime

    @property
    def first(self) -> str:
        return self.messages[0].ts

    @property
    def last(self) -> str:
        return self.messages[-1].ts

    @property
    def tokens(self) -> int:
        return sum(estimate_tokens(m.text) for m in self.messages)

    def descriptor(self) -> dict[str, Any]:
        """How the job payload names the segment (its messages are read again when the job runs)."""
        where = {"thread_ts": self.thread_ts} if self.kind == "thread" else {"day": self.key}
        return {"kind": self.kind, **where, "first": self.first, "last": self.last}


def local_date(ts: str, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(float(ts), UTC).astimezone(tz).date()


def ready_segments(
    store: SummaryStore, settings: SummarySettings, now: datetime
) -> dict[tuple[str, str], list[Segment]]:
    """Every channel's ready segments, oldest first."""
    tz = ZoneInfo(settings.timezone)
    idle = timedelta(minutes=settings.thread_idle_minutes)
    found: dict[tuple[str, str], list[Segment]] = {}
    for (team, channel, thread_ts), messages in store.unsummarized_thread_messages().items():
        quiet_since = datetime.fromtimestamp(float(messages[-1].ts), UTC) + idle
        if quiet_since <= now:
            key = f"{thread_ts}@{messages[0].ts}"
            segment = Segment(team, channel, "thread", key, thread_ts, tuple(messages), quiet_since)
            found.setdefault((team, channel), []).append(segment)
    today = now.astimezone(tz).date()
    days: dict[tuple[str, str, date], list[MessageRecord]] = {}
    for msg in store.loose_messages():
        day = local_date(msg.ts, tz)
        if day < today:
            days.setdefault((msg.team_id, msg.channel_id, day), []).append(msg)
    for (team, channel, day), messages in days.items():
        over = datetime.combine(day + timedelta(days=1), time.min, tz).astimezone(UTC)
        segment = Segment(team, channel, "day", day.isoformat(), None, tuple(messages), over)
        found.setdefault((team, channel), []).append(segment)
    for segments in found.values():
        segments.sort(key=lambda s: (s.first, s.key))
    return found


def due(segments: Sequence[Segment], settings: SummarySettings, now: datetime) -> bool:
    """Enough text, or waited long enough."""
    waited = now - min(s.ready_at for s in segments)
    return sum(s.tokens for s in segments) >= settings.batch_min_tokens or waited >= timedelta(
        hours=settings.batch_max_wait_hours
    )


def split(segments: Sequence[Segment], tz: ZoneInfo, limit: int = MAX_BATCH_TOKENS) -> list[list[Segment]]:
    """Consecutive groups of whole segments of at most `limit` tokens (a larger segment goes alone), never
    two calendar weeks in one group: a batch's overview then belongs to one week's roll-up."""
    groups: list[list[Segment]] = [[]]
    used = 0
    for seg in segments:
        week = local_date(seg.first, tz).isocalendar()[:2]
        if groups[-1] and (
            used + seg.tokens > limit or local_date(groups[-1][0].first, tz).isocalendar()[:2] != week
        ):
            groups.append([])
            used = 0
        groups[-1].append(seg)
        used += seg.tokens
    return [g for g in groups if g]


def batch_job(team: str, channel: str, segments: Sequence[Segment]) -> tuple[str, dict[str, Any]]:
    """(key, payload) of the job for these segments. The key covers every segment's range."""
    described = [s.descriptor() for s in segments]
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:24]
    key = f"{team}:{channel}:{segments[0].first}:{digest}"
    return key, {"team": team, "channel": channel, "segments": described}


def busy_channels(store: SummaryStore, kinds: Sequence[str]) -> set[tuple[str, str]]:
    """Channels with summarization work queued or running (every job key starts `team:channel:`)."""
    return {(k.split(":")[0], k.split(":")[1]) for k in store.pending_job_keys(kinds) if k.count(":") >= 2}


__all__ = [
    "BATCH",
    "MAX_BATCH_TOKENS",
    "Segment",
    "batch_job",
    "busy_channels",
    "due",
    "local_date",
    "ready_segments",
    "split",
]
