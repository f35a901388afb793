"""SQL access for channel digests: schedules, posted digests (claimed once per channel and period),
and the message activity a digest reports.

Posting is idempotent through `digest_posts`' unique (team, channel, period_key): `claim` inserts the row
before anything is posted, so of several processes or threads only the one whose insert wins posts.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, desc, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from memory.models import Message, as_utc
from memory.surface_models import DigestPost, DigestSchedule

CLAIMED, POSTED, FAILED = "claimed", "posted", "failed"


@dataclass(frozen=True)
class ScheduleRecord:
    """A channel's digest cadence: `daily` at `at_time`, or `weekly` on `weekday` (0 = Monday)."""

    team_id: str
    channel_id: str
    cadence: str = "daily"
    weekday: int = 0
    at_time: str = "09:00"
    timezone: str = "UTC"
    enabled: bool = True
    created_by: str = ""


@dataclass(frozen=True)
class PostRecord:
    """One digest, claimed or posted, covering messages in (since_ts, until_ts]."""

    id: int
    team_id: str
    channel_id: str
    period_key: str
    since_ts: str
    until_ts: str
    message_ts: str = ""
    state: str = CLAIMED
    # when it was claimed, i.e. when the digest was composed (UTC)
    created_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ThreadActivity:
    thread_ts: str
    replies: int
    root_text: str


@dataclass(frozen=True)
class Activity:
    """Human messages of a channel in a time range, and its busiest threads."""

    messages: int
    people: int
    threads: tuple[ThreadActivity, ...] = ()


class DigestStore:
    """Repository of digest schedules and posts. Thread-safe: each call uses its own session."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- schedules ---------------------------------------------------------------------------------

    def get_schedule(self, team_id: str, channel_id: str) -> ScheduleRecord | None:
        with self._session() as session:
            row = session.get(DigestSchedule, (team_id, channel_id))
            return None if row is None else _schedule(row)

    def schedules(self, *, enabled_only: bool = True) -> list[ScheduleRecord]:
        query = select(DigestSchedule).order_by(DigestSchedule.team_id, DigestSchedule.channel_id)
        if enabled_only:
            query = query.where(DigestSchedule.enabled.is_(True))
        with self._session() as session:
            return [_schedule(r) for r in session.scalars(query)]

    def save_schedule(self, schedule: ScheduleRecord) -> ScheduleRecord:
        """Create or replace a channel's schedule."""
        with self._session() as session:
            row = session.get(DigestSchedule, (schedule.team_id, schedule.channel_id))
            if row is None:
                row = DigestSchedule(team_id=schedule.team_id, channel_id=schedule.channel_id)
                session.add(row)
            row.cadence, row.weekday, row.at_time = schedule.cadence, schedule.weekday, schedule.at_time
            row.timezone, row.enabled, row.created_by = (
                schedule.timezone,
                schedule.enabled,
                schedule.created_by,
            )
            return schedule

    def disable(self, team_id: str, channel_id: str) -> bool:
        """Turn a channel's digest off (the schedule is kept). False when it had none enabled."""
        with self._session() as session:
            row = session.get(DigestSchedule, (team_id, channel_id))
            if row is None or not row.enabled:
                return False
            row.enabled = False
            return True

    # --- posts -------------------------------------------------------------------------------------

    def claim(
        self, team_id: str, channel_id: str, period_key: str, *, since_ts: str, until_ts: str
    ) -> PostRecord | None:
        """Reserve the digest of a period. None when another caller holds or posted it; a `failed` one is
        taken over (atomically: of several retries one wins)."""
        try:
            with self._session() as session:
                row = DigestPost(
                    team_id=team_id,
                    channel_id=channel_id,
                    period_key=period_key,
                    since_ts=since_ts,
                    until_ts=until_ts,
                    state=CLAIMED,
                )
                session.add(row)
                session.flush()
                return _post(row)
        except IntegrityError:
            pass
        with self._session() as session:
            taken = session.execute(
                update(DigestPost)
                .where(
                    DigestPost.team_id == team_id,
                    DigestPost.channel_id == channel_id,
                    DigestPost.period_key == period_key,
                    DigestPost.state == FAILED,
                )
                .values(state=CLAIMED, since_ts=since_ts, until_ts=until_ts, message_ts="")
            )
            if int(getattr(taken, "rowcount", 0) or 0) != 1:
                return None
            row = session.scalars(
                select(DigestPost).where(
                    DigestPost.team_id == team_id,
                    DigestPost.channel_id == channel_id,
                    DigestPost.period_key == period_key,
                )
            ).one()
            return _post(row)

    def mark_posted(self, post_id: int, message_ts: str) -> None:
        self._set_state(post_id, POSTED, message_ts)

    def mark_failed(self, post_id: int) -> None:
        self._set_state(post_id, FAILED, "")

    def _set_state(self, post_id: int, state: str, message_ts: str) -> None:
        with self._session() as session:
            session.execute(
                update(DigestPost).where(DigestPost.id == post_id).values(state=state, message_ts=message_ts)
            )

    def last_posted(self, team_id: str, channel_id: str) -> PostRecord | None:
        """The posted digest that covered the most recent messages."""
        with self._session() as session:
            row = session.scalars(
                select(DigestPost)
                .where(
                    DigestPost.team_id == team_id,
                    DigestPost.channel_id == channel_id,
                    DigestPost.state == POSTED,
                )
                .order_by(desc(DigestPost.until_ts), desc(DigestPost.id))
                .limit(1)
            ).first()
            return None if row is None else _post(row)

    def posts(self, team_id: str, channel_id: str) -> list[PostRecord]:
        with self._session() as session:
            rows = session.scalars(
                select(DigestPost)
                .where(DigestPost.team_id == team_id, DigestPost.channel_id == channel_id)
                .order_by(DigestPost.id)
            )
            return [_post(r) for r in rows]

    # --- what happened -----------------------------------------------------------------------------

    def activity(
        self, team_id: str, channel_id: str, *, since_ts: str, until_ts: str, top_threads: int = 3
    ) -> Activity:
        """People's messages in (since, until] (bots' left out) and the threads with the most replies."""
        human = (
            Message.team_id == team_id,
            Message.channel_id == channel_id,
            Message.deleted_at.is_(None),
            Message.ts > since_ts,
            Message.ts <= until_ts,
            Message.bot_id == "",  # join notices and the like are never stored
        )
        with self._session() as session:
            count, people = session.execute(
                select(func.count(), func.count(func.distinct(Message.user_id))).where(*human)
            ).one()
            replies = func.count().label("replies")
            busiest = session.execute(
                select(Message.thread_ts, replies)
                .where(*human, Message.thread_ts.is_not(None), Message.thread_ts != Message.ts)
                .group_by(Message.thread_ts)
                .order_by(desc(replies), Message.thread_ts)
                .limit(top_threads)
            ).all()
            roots = {
                r.ts: r.text
                for r in session.scalars(
                    select(Message).where(
                        Message.team_id == team_id,
                        Message.channel_id == channel_id,
                        Message.ts.in_([b[0] for b in busiest]),
                    )
                )
            }
        threads = tuple(ThreadActivity(str(ts), int(n), roots.get(str(ts), "")) for ts, n in busiest)
        return Activity(int(count or 0), int(people or 0), threads)

    def recent_texts(self, team_id: str, channel_id: str, *, limit: int = 30) -> list[str]:
        """The newest people's messages of a channel, newest first (to tell its language)."""
        with self._session() as session:
            rows = session.scalars(
                select(Message.text)
                .where(
                    Message.team_id == team_id,
                    Message.channel_id == channel_id,
                    Message.deleted_at.is_(None),
                    Message.bot_id == "",
                    Message.text != "",
                )
                .order_by(desc(Message.ts))
                .limit(limit)
            )
            return list(rows)

    def channels_with_messages(self, team_id: str | None = None) -> list[tuple[str, str]]:
        """`(team, channel)` of conversations Kiok holds live messages of, most recently active first."""
        newest = func.max(Message.ts)
        query = select(Message.team_id, Message.channel_id, newest).where(Message.deleted_at.is_(None))
        if team_id is not None:
            query = query.where(Message.team_id == team_id)
        with self._session() as session:
            rows = session.execute(query.group_by(Message.team_id, Message.channel_id).order_by(desc(newest)))
            return [(r[0], r[1]) for r in rows]


def _schedule(r: DigestSchedule) -> ScheduleRecord:
    return ScheduleRecord(
        r.team_id, r.channel_id, r.cadence, r.weekday, r.at_time, r.timezone, r.enabled, r.created_by
    )


def _post(r: DigestPost) -> PostRecord:
    return PostRecord(
        r.id,
        r.team_id,
        r.channel_id,
        r.period_key,
        r.since_ts,
        r.until_ts,
        r.message_ts,
        r.state,
        as_utc(r.created_at),
    )


__all__ = [
    "CLAIMED",
    "FAILED",
    "POSTED",
    "Activity",
    "DigestStore",
    "PostRecord",
    "ScheduleRecord",
    "ThreadActivity",
]
