"""SQL access to summarized memory: what still needs summarizing, episodes, items and briefs.

Writes are idempotent: an episode is unique per (channel, kind, key) and an item per (episode, kind,
fingerprint), so a job that runs again after a crash stores nothing twice.
"""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.models import JobRow, Message, utcnow
from memory.records import OWN_REPLY, MessageRecord
from memory.store import row_to_record
from memory.summary_models import (
    Brief,
    Episode,
    EpisodeRecord,
    ItemChange,
    ItemRecord,
    MemoryItem,
    episode_record,
    fingerprint,
    item_record,
)


class SummaryStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- what needs summarizing --------------------------------------------------------------------

    def unsummarized_thread_messages(self) -> dict[tuple[str, str, str], list[MessageRecord]]:
        """Thread messages not yet in an episode of their thread, by (team, channel, thread_ts), oldest
        first: the batch planner decides which threads are quiet and how much text is waiting."""
        covered = (
            select(func.max(Episode.end_ts))
            .where(
                Episode.kind == "thread",
                Episode.team_id == Message.team_id,
                Episode.channel_id == Message.channel_id,
                Episode.thread_ts == Message.thread_ts,
            )
            .scalar_subquery()
        )
        query = select(Message).where(
            Message.thread_ts.is_not(None),
            Message.deleted_at.is_(None),
            Message.subtype != OWN_REPLY,
            Message.ts > func.coalesce(covered, ""),
        )
        found: dict[tuple[str, str, str], list[MessageRecord]] = {}
        with self._session() as session:
            for row in session.scalars(query.order_by(Message.ts)):
                record = row_to_record(row)
                found.setdefault((record.team_id, record.channel_id, record.thread_ts or ""), []).append(
                    record
                )
        return found

    def pending_job_keys(self, kinds: Sequence[str]) -> list[str]:
        """Keys of queued or running jobs of these kinds (the planner never queues overlapping work)."""
        with self._session() as session:
            query = select(JobRow.key).where(
                JobRow.kind.in_(list(kinds)), JobRow.state.in_(["queued", "running"])
            )
            return list(session.scalars(query))

    def episode_starts(self, kinds: Sequence[str]) -> list[tuple[str, str, str]]:
        """(team, channel, start_ts) of every episode of these kinds (weeks are planned from them)."""
        with self._session() as session:
            query = select(Episode.team_id, Episode.channel_id, Episode.start_ts).where(
                Episode.kind.in_(list(kinds))
            )
            return [(r[0], r[1], r[2]) for r in session.execute(query)]

    def loose_between(self, team_id: str, channel_id: str, first: str, last: str) -> list[MessageRecord]:
        """A channel's top-level messages outside threads with first <= ts <= last, oldest first."""
        query = select(Message).where(
            Message.team_id == team_id,
            Message.channel_id == channel_id,
            Message.thread_ts.is_(None),
            Message.deleted_at.is_(None),
            Message.subtype != OWN_REPLY,
            Message.ts >= first,
            Message.ts <= last,
        )
        with self._session() as session:
            return [row_to_record(r) for r in session.scalars(query.order_by(Message.ts))]

    def existing_keys(self, team_id: str, channel_id: str, kind: str, keys: Sequence[str]) -> set[str]:
        """Which of these episode keys are already stored."""
        with self._session() as session:
            query = select(Episode.key).where(
                Episode.team_id == team_id,
                Episode.channel_id == channel_id,
                Episode.kind == kind,
                Episode.key.in_(list(keys)),
            )
            return set(session.scalars(query))

    def thread_messages(
        self, team_id: str, channel_id: str, thread_ts: str, *, after: str = ""
    ) -> list[MessageRecord]:
        with self._session() as session:
            rows = session.scalars(
                select(Message)
                .where(
                    Message.team_id == team_id,
                    Message.channel_id == channel_id,
                    Message.thread_ts == thread_ts,
                    Message.deleted_at.is_(None),
                    Message.subtype != OWN_REPLY,
                    Message.ts > after,
                )
                .order_by(Message.ts)
            )
            return [row_to_record(r) for r in rows]

    def loose_messages(self, team_id: str | None = None) -> list[MessageRecord]:
        """Top-level messages outside threads not yet covered by a day episode of their channel."""
        covered = (
            select(func.max(Episode.end_ts))
            .where(
                Episode.kind == "day",
                Episode.team_id == Message.team_id,
                Episode.channel_id == Message.channel_id,
            )
            .scalar_subquery()
        )
        query = select(Message).where(
            Message.thread_ts.is_(None),
            Message.deleted_at.is_(None),
            Message.subtype != OWN_REPLY,
            Message.ts > func.coalesce(covered, ""),
        )
        if team_id is not None:
            query = query.where(Message.team_id == team_id)
        with self._session() as session:
            return [row_to_record(r) for r in session.scalars(query.order_by(Message.ts))]

    def episodes(
        self, team_id: str, channel_id: str, *, kind: str, start: str = "", end: str = "~"
    ) -> list[EpisodeRecord]:
        """Episodes of a kind whose end lies in [start, end)."""
        with self._session() as session:
            rows = session.scalars(
                select(Episode)
                .where(
                    Episode.team_id == team_id,
                    Episode.channel_id == channel_id,
                    Episode.kind == kind,
                    Episode.end_ts >= start,
                    Episode.end_ts < end,
                )
                .order_by(Episode.end_ts)
            )
            return [episode_record(r) for r in rows]

    def episode_keys(self, kind: str) -> set[tuple[str, str, str]]:
        with self._session() as session:
            rows = session.execute(
                select(Episode.team_id, Episode.channel_id, Episode.key).where(Episode.kind == kind)
            )
            return {(r[0], r[1], r[2]) for r in rows}

    # --- writes ------------------------------------------------------------------------------------

    def save_summary(
        self, ep: EpisodeRecord, items: Sequence[ItemRecord], changes: Sequence[ItemChange]
    ) -> tuple[int, bool]:
        """Store an episode with its items and their changes to earlier items, in one transaction.

        Returns (episode id, created). An episode whose key exists is left as it was, items included,
        so a job that runs again after a crash stores nothing twice.
        """
        return self.save_batch([(ep, items)], changes)[0]

    def save_batch(
        self,
        episodes: Sequence[tuple[EpisodeRecord, Sequence[ItemRecord]]],
        changes: Sequence[ItemChange],
    ) -> list[tuple[int, bool]]:
        """Store several episodes, each with its items, and the changes those items make, in one
        transaction. `ItemChange.replaced_by`/`new_index` index the items of all episodes in order.

        Returns (episode id, created) per episode. An episode whose key exists is left as it was, its
        items with it, and changes that involve them are dropped: a batch that runs again after a crash,
        or overlaps one that already ran, stores nothing twice.
        """
        saved: list[tuple[int, bool]] = []
        ids: list[int | None] = []
        with self._session() as session:
            for ep, items in episodes:
                existing = session.scalar(
                    select(Episode.id).where(
                        Episode.team_id == ep.team_id,
                        Episode.channel_id == ep.channel_id,
                        Episode.kind == ep.kind,
                        Episode.key == ep.key,
                    )
                )
                if existing is not None:
                    saved.append((existing, False))
                    ids += [None] * len(items)
                    continue
                row = _episode_row(ep)
                session.add(row)
                session.flush()
                saved.append((row.id, True))
                ids += [self._insert_item(session, row.id, item) for item in items]
            for change in changes:
                self._apply(session, change, ids)
        return saved

    @staticmethod
    def _insert_item(session: Session, episode_id: int, item: ItemRecord) -> int:
        """Insert an item, unless a live item of the same kind in the channel says the same thing."""
        # An action item with a new owner, date or status is a new version of it, not a repeat.
        fp = fingerprint(item.kind, f"{item.text} {item.owner} {item.due} {item.status}")
        duplicate = session.scalar(
            select(MemoryItem.id).where(
                MemoryItem.team_id == item.team_id,
                MemoryItem.channel_id == item.channel_id,
                MemoryItem.kind == item.kind,
                MemoryItem.fingerprint == fp,
                MemoryItem.valid_to.is_(None),
            )
        )
        if duplicate is not None:
            return duplicate
        row = MemoryItem(
            team_id=item.team_id,
            channel_id=item.channel_id,
            episode_id=episode_id,
            kind=item.kind,
            text=item.text,
            owner=item.owner,
            due=item.due,
            status=item.status,
            valid_from=item.valid_from,
            sources=json.dumps(list(item.sources)),
            fingerprint=fp,
        )
        session.add(row)
        session.flush()
        return row.id

    @staticmethod
    def _apply(session: Session, change: ItemChange, ids: Sequence[int | None]) -> None:
        target = change.item_id if change.item_id is not None else _at(ids, change.new_index)
        old = None if target is None else session.get(MemoryItem, target)
        if old is None or old.valid_to is not None:
            return
        if change.replaced_by is not None:
            new_id = _at(ids, change.replaced_by)
            new = None if new_id is None else session.get(MemoryItem, new_id)
            if new is not None and new.id != old.id:
                old.valid_to, old.superseded_by, old.changed_at = new.valid_from, new.id, utcnow()
        elif change.status is not None:
            old.status, old.valid_to = change.status, change.extra.get("at", old.valid_from)
            old.changed_at = utcnow()

    # --- reads -------------------------------------------------------------------------------------

    def items(
        self,
        team_id: str,
        channel_id: str,
        *,
        kinds: Sequence[str] | None = None,
        live_only: bool = True,
        since: str = "",
    ) -> list[ItemRecord]:
        query = select(MemoryItem).where(
            MemoryItem.team_id == team_id, MemoryItem.channel_id == channel_id, MemoryItem.valid_from >= since
        )
        if kinds:
            query = query.where(MemoryItem.kind.in_(list(kinds)))
        if live_only:
            query = query.where(MemoryItem.valid_to.is_(None))
        with self._session() as session:
            return [
                item_record(r) for r in session.scalars(query.order_by(MemoryItem.valid_from, MemoryItem.id))
            ]

    def get_brief(self, team_id: str, channel_id: str) -> str | None:
        with self._session() as session:
            row = session.get(Brief, (team_id, channel_id))
            return None if row is None else row.text

    def save_brief(self, team_id: str, channel_id: str, text: str, tokens: int) -> None:
        with self._session() as session:
            row = session.get(Brief, (team_id, channel_id))
            if row is None:
                session.add(Brief(team_id=team_id, channel_id=channel_id, text=text, tokens=tokens))
            else:
                row.text, row.tokens = text, tokens

    def token_totals(self, team_id: str, channel_id: str) -> tuple[int, int]:
        """LLM input and output tokens spent on a channel's episodes."""
        with self._session() as session:
            row = session.execute(
                select(
                    func.coalesce(func.sum(Episode.input_tokens), 0),
                    func.coalesce(func.sum(Episode.output_tokens), 0),
                ).where(Episode.team_id == team_id, Episode.channel_id == channel_id)
            ).one()
            return int(row[0]), int(row[1])


def _at(ids: Sequence[int | None], index: int | None) -> int | None:
    return ids[index] if index is not None and 0 <= index < len(ids) else None


def _episode_row(ep: EpisodeRecord) -> Episode:
    return Episode(
        team_id=ep.team_id,
        channel_id=ep.channel_id,
        kind=ep.kind,
        key=ep.key,
        thread_ts=ep.thread_ts,
        start_ts=ep.start_ts,
        end_ts=ep.end_ts,
        summary=ep.summary,
        participants=json.dumps(list(ep.participants)),
        sources=json.dumps(list(ep.sources)),
        structured=ep.structured,
        input_tokens=ep.input_tokens,
        output_tokens=ep.output_tokens,
        model=ep.model,
    )


__all__ = ["EpisodeRecord", "ItemChange", "ItemRecord", "SummaryStore", "fingerprint"]
