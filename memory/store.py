"""The SQL store: Kiok's source of truth for workspaces, channels, users, messages and seen events.

Every write is idempotent on Slack's natural keys, so retries, re-imports and backfills never duplicate.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from memory.errors import DatabaseUnavailable
from memory.journal import DeliveryJournal
from memory.models import Message, ProcessedEvent
from memory.records import OWN_REPLY, MessageRecord


class MessageStore:
    """Repository over the SQL tables. Thread-safe: each call uses its own session."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            where = self._engine.url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"Database {where} failed: {exc.orig}") from None

    # --- events -----------------------------------------------------------------------------------

    def claim_event(self, event_id: str, kind: str = "", *, body: str | None = None) -> bool:
        """Record `event_id` as handled. False when it was already claimed (a Slack retry).

        With `body` (the event's JSON), the event also enters the delivery inbox in the same transaction,
        so an event acknowledged to Slack is durable even if the process dies before handling it.
        """
        try:
            with self._session() as session:
                session.add(ProcessedEvent(event_id=event_id, kind=kind))
                if body is not None:
                    session.flush()  # the claim first: a retry fails here, not on the inbox row
                    DeliveryJournal.add_event(session, event_id, kind, body)
        except IntegrityError:
            return False
        return True

    def forget_events_before(self, cutoff: datetime) -> int:
        """Drop dedupe records older than `cutoff` (Slack stops retrying after minutes)."""
        with self._session() as session:
            result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)

    # --- messages -----------------------------------------------------------------------------------

    def upsert_messages(self, records: Iterable[MessageRecord]) -> int:
        """Insert new messages and apply edits; returns how many rows were inserted or changed.

        Existing rows are looked up in bulk per channel. A message already marked deleted stays
        deleted: a late retry must not resurrect it. Changed text is queued for re-indexing.
        """
        by_channel: dict[tuple[str, str], dict[str, MessageRecord]] = {}
        for rec in records:
            by_channel.setdefault((rec.team_id, rec.channel_id), {})[rec.ts] = rec
        for _attempt in range(2):
            try:
                return self._upsert(by_channel)
            except IntegrityError:  # another thread stored the same message first: look again
                pass
        # Still racing (a history read while live events store the same messages): one at a time, where
        # a lost race only means the row now exists and the second look updates it.
        changed = 0
        for key, recs in by_channel.items():
            for ts, rec in recs.items():
                try:
                    changed += self._upsert({key: {ts: rec}})
                except IntegrityError:
                    changed += self._upsert({key: {ts: rec}})
        return changed

    def _upsert(self, by_channel: dict[tuple[str, str], dict[str, MessageRecord]]) -> int:
        changed = 0
        with self._session() as session:
            for (team_id, channel_id), recs in by_channel.items():
                existing: dict[str, Message] = {}
                keys = list(recs)
                for start in range(0, len(keys), 500):
                    rows = session.scalars(
                        select(Message).where(
                            Message.team_id == team_id,
                            Message.channel_id == channel_id,
                            Message.ts.in_(keys[start : start + 500]),
                        )
                    )
                    existing.update((r.ts, r) for r in rows)
                for ts, rec in recs.items():
                    row = existing.get(ts)
                    if row is None:
                        session.add(_new_row(rec))
                        changed += 1
                    elif row.deleted_at is None and _differs(row, rec):
                        row.text, row.thread_ts, row.edited_ts = rec.text, rec.thread_ts, rec.edited_ts
                        row.user_id, row.bot_id, row.subtype = rec.user_id, rec.bot_id, rec.subtype
                        row.index_hash = None  # re-index the new text
                        changed += 1
        return changed

    def mark_deleted(self, team_id: str, channel_id: str, ts: str) -> bool:
        """Erase a message's text and mark it deleted. False when Kiok never stored it."""
        with self._session() as session:
            row = session.scalar(
                select(Message).where(
                    Message.team_id == team_id, Message.channel_id == channel_id, Message.ts == ts
                )
            )
            if row is None:
                session.add(
                    Message(
                        team_id=team_id,
                        channel_id=channel_id,
                        ts=ts,
                        text="",
                        deleted_at=datetime.now(UTC),
                    )
                )
                return False
            row.text, row.deleted_at = "", datetime.now(UTC)
            return True

    def thread(self, team_id: str, channel_id: str, thread_ts: str) -> list[MessageRecord]:
        """A thread's live messages, opening message first, in time order."""
        with self._session() as session:
            rows = session.scalars(
                select(Message).where(
                    Message.team_id == team_id,
                    Message.channel_id == channel_id,
                    (Message.ts == thread_ts) | (Message.thread_ts == thread_ts),
                    Message.deleted_at.is_(None),
                )
            ).all()
            return sorted((row_to_record(r) for r in rows), key=lambda r: float(r.ts))

    def get_message(self, team_id: str, channel_id: str, ts: str) -> MessageRecord | None:
        with self._session() as session:
            row = session.scalar(
                select(Message).where(
                    Message.team_id == team_id, Message.channel_id == channel_id, Message.ts == ts
                )
            )
            return None if row is None else row_to_record(row)

    def messages_by_ts(
        self, team_id: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], MessageRecord]:
        """Live messages for `(channel, ts)` keys, in one query per channel."""
        by_channel: dict[str, list[str]] = {}
        for channel, ts in keys:
            by_channel.setdefault(channel, []).append(ts)
        found: dict[tuple[str, str], MessageRecord] = {}
        with self._session() as session:
            for channel, ts_list in by_channel.items():
                rows = session.scalars(
                    select(Message).where(
                        Message.team_id == team_id,
                        Message.channel_id == channel,
                        Message.ts.in_(ts_list),
                        Message.deleted_at.is_(None),
                    )
                )
                found.update(((r.channel_id, r.ts), row_to_record(r)) for r in rows)
        return found

    def pending_index(
        self, limit: int, *, team_id: str | None = None, channel_id: str | None = None
    ) -> list[MessageRecord]:
        """Live messages not yet in the vector index, oldest first."""
        with self._session() as session:
            query = select(Message).where(
                Message.index_hash.is_(None), Message.deleted_at.is_(None), Message.subtype != OWN_REPLY
            )
            if team_id is not None:
                query = query.where(Message.team_id == team_id)
            if channel_id is not None:
                query = query.where(Message.channel_id == channel_id)
            rows = session.scalars(query.order_by(Message.id).limit(limit))
            return [row_to_record(r) for r in rows]

    def count_pending_index(self, *, team_id: str | None = None, channel_id: str | None = None) -> int:
        with self._session() as session:
            query = select(func.count()).select_from(Message)
            query = query.where(
                Message.index_hash.is_(None), Message.deleted_at.is_(None), Message.subtype != OWN_REPLY
            )
            if team_id is not None:
                query = query.where(Message.team_id == team_id)
            if channel_id is not None:
                query = query.where(Message.channel_id == channel_id)
            return int(session.scalar(query) or 0)

    def set_index_hashes(self, team_id: str, hashes: dict[tuple[str, str], str]) -> None:
        """Record what is now in the index for each `(channel, ts)`."""
        with self._session() as session:
            for (channel_id, ts), digest in hashes.items():
                session.execute(
                    update(Message)
                    .where(Message.team_id == team_id, Message.channel_id == channel_id, Message.ts == ts)
                    .values(index_hash=digest)
                )

    def clear_index_hashes(self, *, team_id: str | None = None, channel_id: str | None = None) -> int:
        """Mark messages as not indexed (for `kiok reindex`); returns how many."""
        with self._session() as session:
            query = update(Message).where(Message.deleted_at.is_(None)).values(index_hash=None)
            if team_id is not None:
                query = query.where(Message.team_id == team_id)
            if channel_id is not None:
                query = query.where(Message.channel_id == channel_id)
            return int(getattr(session.execute(query), "rowcount", 0) or 0)

    def neighbours(self, team_id: str, channel_id: str, ts_list: list[str]) -> dict[str, MessageRecord]:
        """For each ts, the live message just before it in the same thread (or channel top level)."""
        with self._session() as session:
            rows = session.scalars(
                select(Message).where(
                    Message.team_id == team_id, Message.channel_id == channel_id, Message.ts.in_(ts_list)
                )
            ).all()
            found: dict[str, MessageRecord] = {}
            for row in rows:
                query = select(Message).where(
                    Message.team_id == team_id,
                    Message.channel_id == channel_id,
                    Message.deleted_at.is_(None),
                    Message.id != row.id,
                )
                if row.thread_ts and row.thread_ts != row.ts:
                    query = query.where((Message.thread_ts == row.thread_ts) | (Message.ts == row.thread_ts))
                else:
                    query = query.where((Message.thread_ts.is_(None)) | (Message.thread_ts == Message.ts))
                prev = session.scalars(
                    query.where(Message.ts < row.ts).order_by(Message.ts.desc()).limit(1)
                ).first()
                if prev is not None:
                    found[row.ts] = row_to_record(prev)
            return found

    def delete_messages(
        self,
        team_id: str,
        *,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        user_id: str | None = None,
        ts: str | None = None,
        before_ts: float | None = None,
    ) -> list[tuple[str, str]]:
        """Erase matching messages from SQL for good; returns their `(channel, ts)` keys."""
        with self._session() as session:
            query = select(Message.id, Message.channel_id, Message.ts).where(Message.team_id == team_id)
            if channel_id is not None:
                query = query.where(Message.channel_id == channel_id)
            if thread_ts is not None:
                query = query.where((Message.thread_ts == thread_ts) | (Message.ts == thread_ts))
            if user_id is not None:
                query = query.where(Message.user_id == user_id)
            if ts is not None:
                query = query.where(Message.ts == ts)
            if before_ts is not None:  # Slack ts strings share one width, so they sort as numbers do
                query = query.where(Message.ts < f"{before_ts:.6f}")
            rows = session.execute(query).all()
            ids = [r.id for r in rows]
            for start in range(0, len(ids), 500):
                session.execute(delete(Message).where(Message.id.in_(ids[start : start + 500])))
            return [(r.channel_id, r.ts) for r in rows]

    def channels_with_messages(self, team_id: str | None = None) -> list[tuple[str, str, int]]:
        """`(team, channel, live message count)` for every channel Kiok holds messages of."""
        with self._session() as session:
            query = select(Message.team_id, Message.channel_id, func.count()).where(
                Message.deleted_at.is_(None)
            )
            if team_id is not None:
                query = query.where(Message.team_id == team_id)
            rows = session.execute(query.group_by(Message.team_id, Message.channel_id)).all()
            return [(r[0], r[1], int(r[2])) for r in rows]

    def kiok_replied_in(self, team_id: str, channel_id: str, thread_ts: str) -> bool:
        """Whether Kiok's own reply is stored in this thread."""
        with self._session() as session:
            found = session.scalar(
                select(Message.id)
                .where(
                    Message.team_id == team_id,
                    Message.channel_id == channel_id,
                    Message.thread_ts == thread_ts,
                    Message.subtype == OWN_REPLY,
                )
                .limit(1)
            )
            return found is not None

    def count_messages(self, team_id: str | None = None, channel_id: str | None = None) -> int:
        with self._session() as session:
            query = select(func.count()).select_from(Message).where(Message.deleted_at.is_(None))
            if team_id is not None:
                query = query.where(Message.team_id == team_id)
            if channel_id is not None:
                query = query.where(Message.channel_id == channel_id)
            return int(session.scalar(query) or 0)


def _new_row(rec: MessageRecord) -> Message:
    return Message(
        team_id=rec.team_id,
        channel_id=rec.channel_id,
        ts=rec.ts,
        thread_ts=rec.thread_ts,
        user_id=rec.user_id,
        bot_id=rec.bot_id,
        subtype=rec.subtype,
        text=rec.text,
        edited_ts=rec.edited_ts,
        deleted_at=datetime.now(UTC) if rec.deleted else None,
    )


def _differs(row: Message, rec: MessageRecord) -> bool:
    return (row.text, row.thread_ts, row.edited_ts, row.user_id, row.bot_id, row.subtype) != (
        rec.text,
        rec.thread_ts,
        rec.edited_ts,
        rec.user_id,
        rec.bot_id,
        rec.subtype,
    )


def row_to_record(row: Message) -> MessageRecord:
    return MessageRecord(
        team_id=row.team_id,
        channel_id=row.channel_id,
        ts=row.ts,
        text=row.text,
        user_id=row.user_id,
        thread_ts=row.thread_ts,
        bot_id=row.bot_id,
        subtype=row.subtype,
        edited_ts=row.edited_ts,
        deleted=row.deleted_at is not None,
    )


__all__ = ["MessageStore", "row_to_record"]
