"""Delivery journal: what Kiok received but has not finished, so a crash loses nothing.

Two tables. `event_inbox` holds each Slack event (its JSON body) from the moment it is claimed, in the
transaction that records its `event_id` as seen, until its listener has run; events still `pending` at
start-up belonged to a process that died and are handed to the listeners again. `mention_journal` holds
every question Kiok owes an answer to, keyed by the question's own message `(team, channel, ts)` so that
the live event, a replay and a gap backfill answer it once: `answering` (with the placeholder's ts once
posted) until the answer is final (`done`), or `failed` after too many interrupted attempts.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from memory.models import Base, utcnow

PENDING, DONE, ANSWERING, FAILED = "pending", "done", "answering", "failed"


class InboxEvent(Base):
    """A claimed Slack event whose listener has not finished yet (`pending`) or has (`done`)."""

    __tablename__ = "event_inbox"
    __table_args__ = (Index("ix_event_inbox_state", "state", "received_at"),)

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # the event_callback JSON, emptied when done
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MentionRow(Base):
    """A question Kiok owes an answer to (a mention, a DM, a follow-up), until the answer is final."""

    __tablename__ = "mention_journal"
    __table_args__ = (Index("ix_mention_journal_state", "state"),)

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(32), default="")
    user_id: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text, default="")  # the question, erased once answered
    source: Mapped[str] = mapped_column(String(16), default="event")  # event | gap
    state: Mapped[str] = mapped_column(String(16), default=ANSWERING)
    reply_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # answers the model started
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Question:
    """A journaled question: the message that asked it and where its answer goes."""

    team_id: str
    channel_id: str
    ts: str
    thread_ts: str
    user_id: str
    text: str
    state: str = ANSWERING
    reply_ts: str | None = None
    attempts: int = 0
    source: str = "event"

    @property
    def key(self) -> tuple[str, str, str]:
        return self.team_id, self.channel_id, self.ts


@dataclass(frozen=True)
class PendingEvent:
    event_id: str
    kind: str
    body: str
    replays: int


class DeliveryJournal:
    """The inbox and the mention journal. Thread-safe: each call uses its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- inbox -------------------------------------------------------------------------------------

    @staticmethod
    def add_event(session: Session, event_id: str, kind: str, body: str) -> None:
        """Put a claimed event in the inbox, inside the caller's claim transaction."""
        session.add(InboxEvent(event_id=event_id, kind=kind, body=body, state=PENDING))

    def event_done(self, event_id: str) -> None:
        """The event's listener has run: nothing to replay (the body is dropped)."""
        with self._session() as session:
            session.execute(
                update(InboxEvent).where(InboxEvent.event_id == event_id).values(state=DONE, body="")
            )

    def pending_events(self) -> list[PendingEvent]:
        """Events claimed but never finished, oldest first (call before connecting: all are orphans)."""
        with self._session() as session:
            rows = session.scalars(
                select(InboxEvent).where(InboxEvent.state == PENDING).order_by(InboxEvent.received_at)
            )
            return [PendingEvent(r.event_id, r.kind, r.body, r.replays) for r in rows]

    def count_replay(self, event_id: str) -> None:
        with self._session() as session:
            session.execute(
                update(InboxEvent)
                .where(InboxEvent.event_id == event_id)
                .values(replays=InboxEvent.replays + 1)
            )

    def forget_events_before(self, cutoff: datetime) -> int:
        """Drop finished inbox rows older than `cutoff`."""
        with self._session() as session:
            result = session.execute(
                delete(InboxEvent).where(InboxEvent.received_at < cutoff, InboxEvent.state == DONE)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def event_counts(self) -> dict[str, int]:
        with self._session() as session:
            rows = session.execute(select(InboxEvent.state, func.count()).group_by(InboxEvent.state))
            return {str(state): int(n) for state, n in rows}

    # --- mentions ----------------------------------------------------------------------------------

    def open(self, question: Question) -> bool:
        """Start answering `question`. False when it is (or was) already being answered."""
        try:
            with self._session() as session:
                session.add(
                    MentionRow(
                        team_id=question.team_id,
                        channel_id=question.channel_id,
                        ts=question.ts,
                        thread_ts=question.thread_ts,
                        user_id=question.user_id,
                        text=question.text,
                        source=question.source,
                        state=ANSWERING,
                        attempts=0,
                    )
                )
        except IntegrityError:
            return False
        return True

    def placeholder(self, key: tuple[str, str, str], reply_ts: str) -> None:
        """Record the ts of the reply being written, so a restart can finish that very message."""
        with self._session() as session:
            session.execute(update(MentionRow).where(*_key(key)).values(reply_ts=reply_ts))

    def finish(self, key: tuple[str, str, str], state: str = DONE) -> None:
        """The answer is final (`done`) or given up (`failed`); the question's text is erased."""
        with self._session() as session:
            session.execute(update(MentionRow).where(*_key(key)).values(state=state, text=""))

    def started(self, key: tuple[str, str, str]) -> None:
        """The model started answering: one more attempt (a question cut off while queued costs none)."""
        with self._session() as session:
            session.execute(update(MentionRow).where(*_key(key)).values(attempts=MentionRow.attempts + 1))

    def unfinished(self) -> list[Question]:
        """Questions whose answer never became final, oldest first (call before connecting)."""
        with self._session() as session:
            rows = session.scalars(
                select(MentionRow).where(MentionRow.state == ANSWERING).order_by(MentionRow.created_at)
            )
            return [_question(r) for r in rows]

    def get(self, key: tuple[str, str, str]) -> Question | None:
        with self._session() as session:
            row = session.get(MentionRow, key)
            return None if row is None else _question(row)

    def replies_in(self, team_id: str, channel_id: str, thread_ts: str) -> set[str]:
        """The ts of every reply Kiok wrote or is writing in a thread (not stale placeholders)."""
        with self._session() as session:
            rows = session.scalars(
                select(MentionRow.reply_ts).where(
                    MentionRow.team_id == team_id,
                    MentionRow.channel_id == channel_id,
                    MentionRow.thread_ts == thread_ts,
                    MentionRow.reply_ts.is_not(None),
                )
            )
            return {str(ts) for ts in rows}

    def mention_counts(self) -> dict[str, int]:
        with self._session() as session:
            rows = session.execute(select(MentionRow.state, func.count()).group_by(MentionRow.state))
            return {str(state): int(n) for state, n in rows}

    def forget_mentions_before(self, cutoff: datetime) -> int:
        """Drop finished journal rows older than `cutoff`."""
        with self._session() as session:
            result = session.execute(
                delete(MentionRow).where(MentionRow.created_at < cutoff, MentionRow.state.in_((DONE, FAILED)))
            )
            return int(getattr(result, "rowcount", 0) or 0)


def _key(key: tuple[str, str, str]) -> tuple[ColumnElement[bool], ...]:
    team_id, channel_id, ts = key
    return MentionRow.team_id == team_id, MentionRow.channel_id == channel_id, MentionRow.ts == ts


def _question(row: MentionRow) -> Question:
    return Question(
        team_id=row.team_id,
        channel_id=row.channel_id,
        ts=row.ts,
        thread_ts=row.thread_ts,
        user_id=row.user_id,
        text=row.text,
        state=row.state,
        reply_ts=row.reply_ts,
        attempts=row.attempts,
        source=row.source,
    )


__all__ = [
    "ANSWERING",
    "DONE",
    "FAILED",
    "PENDING",
    "DeliveryJournal",
    "InboxEvent",
    "MentionRow",
    "PendingEvent",
    "Question",
]
