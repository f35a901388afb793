"""SQL access to summarized memory: what still needs summarizing, episodes, items and briefs.

Writes are idempotent: an episode is unique per (channel, kind, key) and an item per (episode, kind,
fingerprint), so a job that runs again after a crash stores nothing twice.
"""

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.models import Message
from memory.records import OWN_REPLY, MessageRecord
from memory.store import row_to_record
from memory.summary_models import Brief, Episode, MemoryItem


@dataclass(frozen=True)
class EpisodeRecord:
    team_id: str
    channel_id: str
    kind: str
    key: str
    start_ts: str
    end_ts: str
    summary: str
    thread_ts: str | None = None
    participants: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    structured: bool = True
    input_tokens: int = 0
    output_tokens: int = 0
    model: str = ""
    id: int = 0


@dataclass(frozen=True)
class ItemRecord:
    team_id: str
    channel_id: str
    kind: str
    text: str
    valid_from: str
    owner: str = ""
    due: str = ""
    status: str = "open"
    valid_to: str | None = None
    superseded_by: int | None = None
    sources: tuple[str, ...] = ()
    episode_id: int = 0
    id: int = 0

    @property
    def live(self) -> bool:
        return self.valid_to is None


@dataclass
class ItemChange:
    """How an extraction changes an existing item (by id)."""

    item_id: int
    replaced_by: int | None = None  # index into the new items list
    status: str | None = None  # "answered" or "done"
    extra: dict[str, str] = field(default_factory=dict)


def fingerprint(kind: str, text: str) -> str:
    normalized = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha256(f"{kind}\0{normalized}".encode()).hexdigest()


class SummaryStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- what needs summarizing --------------------------------------------------------------------

    def quiet_threads(self, *, idle_before: float) -> list[tuple[str, str, str, str, str]]:
        """`(team, channel, thread_ts, first_ts, last_ts)` of thread messages not yet in an episode,
        for threads whose newest message is older than `idle_before` (Unix seconds)."""
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
        query = (
            select(
                Message.team_id,
                Message.channel_id,
                Message.thread_ts,
                func.min(Message.ts),
                func.max(Message.ts),
            )
            .where(
                Message.thread_ts.is_not(None),
                Message.deleted_at.is_(None),
                Message.subtype != OWN_REPLY,
                Message.ts > func.coalesce(covered, ""),
            )
            .group_by(Message.team_id, Message.channel_id, Message.thread_ts)
        )
        with self._session() as session:
            rows = session.execute(query).all()
        return [(r[0], r[1], r[2] or "", r[3], r[4]) for r in rows if float(r[4]) < idle_before]

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
            return [_episode(r) for r in rows]

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
        with self._session() as session:
            existing = session.scalar(
                select(Episode.id).where(
                    Episode.team_id == ep.team_id,
                    Episode.channel_id == ep.channel_id,
                    Episode.kind == ep.kind,
                    Episode.key == ep.key,
                )
            )
            if existing is not None:
                return existing, False
            row = Episode(
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
            session.add(row)
            session.flush()
            ids = [self._insert_item(session, row.id, item) for item in items]
            for change in changes:
                self._apply(session, change, ids)
            return row.id, True

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
    def _apply(session: Session, change: ItemChange, ids: list[int]) -> None:
        old = session.get(MemoryItem, change.item_id)
        if old is None or old.valid_to is not None:
            return
        if change.replaced_by is not None:
            new = session.get(MemoryItem, ids[change.replaced_by])
            if new is not None and new.id != old.id:
                old.valid_to, old.superseded_by = new.valid_from, new.id
        elif change.status is not None:
            old.status, old.valid_to = change.status, change.extra.get("at", old.valid_from)

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
            return [_item(r) for r in session.scalars(query.order_by(MemoryItem.valid_from, MemoryItem.id))]

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


def _episode(r: Episode) -> EpisodeRecord:
    return EpisodeRecord(
        r.team_id,
        r.channel_id,
        r.kind,
        r.key,
        r.start_ts,
        r.end_ts,
        r.summary,
        r.thread_ts,
        tuple(json.loads(r.participants)),
        tuple(json.loads(r.sources)),
        r.structured,
        r.input_tokens,
        r.output_tokens,
        r.model,
        r.id,
    )


def _item(r: MemoryItem) -> ItemRecord:
    return ItemRecord(
        r.team_id,
        r.channel_id,
        r.kind,
        r.text,
        r.valid_from,
        r.owner,
        r.due,
        r.status,
        r.valid_to,
        r.superseded_by,
        tuple(json.loads(r.sources)),
        r.episode_id,
        r.id,
    )


__all__ = ["EpisodeRecord", "ItemChange", "ItemRecord", "SummaryStore", "fingerprint"]
