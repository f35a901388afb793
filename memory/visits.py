"""What each person last saw of a channel (for `/kiok catchup`), and what happened in it since.

A visit is `(team, user, channel) -> last_seen_ts`: the newest message ts shown to the person. It only moves
forward, so a late or repeated write never makes old conversation look new again.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.models import Message
from memory.records import OWN_REPLY
from memory.summary_models import MemoryItem
from memory.surface_models import UserVisit


@dataclass(frozen=True)
class Visit:
    last_seen_ts: str
    at: datetime  # when it was recorded (UTC): items summarized after it are new to the person


@dataclass(frozen=True)
class ThreadActivity:
    thread_ts: str
    messages: int  # new messages in the thread (its opening message included when new)


@dataclass(frozen=True)
class ChannelActivity:
    """Live messages after a ts, Kiok's own replies and the person's own messages left out."""

    messages: int
    people: int
    newest_ts: str  # newest live message of the channel after the ts, anyone's ("" when none)
    threads: tuple[ThreadActivity, ...]  # busiest first


class VisitStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def last_visit(self, team_id: str, user_id: str, channel_id: str) -> Visit | None:
        with self._session() as session:
            row = session.get(UserVisit, (team_id, user_id, channel_id))
            if row is None:
                return None
            at = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
            return Visit(row.last_seen_ts, at)

    def record_visit(self, team_id: str, user_id: str, channel_id: str, last_seen_ts: str) -> None:
        """Remember that the person has seen the channel up to `last_seen_ts` (never moves backwards)."""
        with self._session() as session:
            row = session.get(UserVisit, (team_id, user_id, channel_id))
            if row is None:
                session.add(
                    UserVisit(
                        team_id=team_id, user_id=user_id, channel_id=channel_id, last_seen_ts=last_seen_ts
                    )
                )
                return
            row.last_seen_ts = max(row.last_seen_ts, last_seen_ts, key=_ts_value)
            row.updated_at = datetime.now(UTC)

    def activity_since(
        self, team_id: str, channel_id: str, after_ts: str, *, exclude_user: str = "", top_threads: int = 3
    ) -> ChannelActivity:
        """New conversation in a channel after `after_ts`: counts and the busiest threads."""
        live = (
            Message.team_id == team_id,
            Message.channel_id == channel_id,
            Message.deleted_at.is_(None),
            Message.subtype != OWN_REPLY,
            Message.ts > after_ts,
        )
        others = (*live, Message.user_id != exclude_user) if exclude_user else live
        thread = func.coalesce(Message.thread_ts, Message.ts)
        with self._session() as session:
            newest = session.scalar(select(func.max(Message.ts)).where(*live)) or ""
            count, people = session.execute(
                select(func.count(), func.count(func.distinct(Message.user_id))).where(*others)
            ).one()
            rows = session.execute(
                select(thread, func.count())
                .where(*others)
                .group_by(thread)
                .having(func.count() > 1)
                .order_by(func.count().desc(), thread.desc())
                .limit(top_threads)
            ).all()
        threads = tuple(ThreadActivity(str(r[0]), int(r[1])) for r in rows)
        return ChannelActivity(int(count or 0), int(people or 0), str(newest), threads)

    def item_ids_since(self, team_id: str, channel_id: str, moment: datetime) -> set[int]:
        """Ids of the channel's items (decisions, action items ...) that summaries wrote after `moment`.

        Items are dated by when they were written, not by their message ts: a thread summarized after a
        visit may hold decisions from messages the person already saw, but not yet as decisions.
        """
        with self._session() as session:
            rows = session.scalars(
                select(MemoryItem.id).where(
                    MemoryItem.team_id == team_id,
                    MemoryItem.channel_id == channel_id,
                    MemoryItem.created_at > moment,
                )
            )
            return set(rows)


def _ts_value(ts: str) -> float:
    try:
        return float(ts)
    except ValueError:
        return 0.0


__all__ = ["ChannelActivity", "ThreadActivity", "Visit", "VisitStore"]
