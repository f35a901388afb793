"""Tables of summarized memory: episodes (thread/day/week), items (decisions, action items, questions,
facts, conventions) with validity periods, and one project brief per channel; and the plain records
the rest of Kiok passes around instead of rows."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from memory.models import Base, as_utc, utcnow


class Episode(Base):
    """A summary of a stretch of conversation: a thread segment, a channel-day or a week."""

    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "kind", "key", name="uq_episodes_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # thread | day | week
    key: Mapped[str] = mapped_column(String(80))  # thread_ts@first_ts | YYYY-MM-DD | YYYY-Www
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    start_ts: Mapped[str] = mapped_column(String(32))
    end_ts: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    participants: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of user ids
    sources: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of message ts
    structured: Mapped[bool] = mapped_column(Boolean, default=True)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str] = mapped_column(String(128), default="")
    index_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MemoryItem(Base):
    """A durable item. Superseded items are kept (valid_to, superseded_by), never silently deleted."""

    __tablename__ = "memory_items"
    __table_args__ = (
        UniqueConstraint("episode_id", "kind", "fingerprint", name="uq_items_episode_fingerprint"),
        Index("ix_items_channel_live", "team_id", "channel_id", "kind", "valid_to"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    episode_id: Mapped[int] = mapped_column(Integer)
    # decision | action_item | open_question | fact | convention
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(80), default="")
    due: Mapped[str] = mapped_column(String(10), default="")  # YYYY-MM-DD or ""
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done | answered
    valid_from: Mapped[str] = mapped_column(String(32))  # ts of the message that established it
    valid_to: Mapped[str | None] = mapped_column(String(32), nullable=True)
    superseded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sources: Mapped[str] = mapped_column(Text, default="[]")
    fingerprint: Mapped[str] = mapped_column(String(64))
    index_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # when valid_to was set (superseded, done, answered)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Brief(Base):
    """The living project brief of a channel, re-rendered whenever its items change."""

    __tablename__ = "briefs"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


# --- records: what the rest of Kiok passes around --------------------------------------------------


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
    recorded_at: datetime | None = field(default=None, compare=False)  # when the summarizer stored it (UTC)
    changed_at: datetime | None = field(default=None, compare=False)  # when it was superseded/done/answered

    @property
    def live(self) -> bool:
        return self.valid_to is None


@dataclass
class ItemChange:
    """How an extraction changes an existing item (by id), or with `item_id=None` an item of the same
    save (`new_index`, for a reversal within one batch)."""

    item_id: int | None
    replaced_by: int | None = None  # index into the new items list
    status: str | None = None  # "answered" or "done"
    extra: dict[str, str] = field(default_factory=dict)
    new_index: int | None = None  # with item_id=None: index of the replaced item in the new items list


def fingerprint(kind: str, text: str) -> str:
    normalized = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha256(f"{kind}\0{normalized}".encode()).hexdigest()


def episode_record(r: Episode) -> EpisodeRecord:
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


def item_record(r: MemoryItem) -> ItemRecord:
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
        as_utc(r.created_at),
        as_utc(r.changed_at) if r.changed_at is not None else None,
    )


__all__ = [
    "Brief",
    "Episode",
    "EpisodeRecord",
    "ItemChange",
    "ItemRecord",
    "MemoryItem",
    "episode_record",
    "fingerprint",
    "item_record",
]
