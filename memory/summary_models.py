"""Tables of summarized memory: episodes (thread/day/week), items (decisions, action items, questions,
facts, conventions) with validity periods, and one project brief per channel."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from memory.models import Base, utcnow


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


class Brief(Base):
    """The living project brief of a channel, re-rendered whenever its items change."""

    __tablename__ = "briefs"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


__all__ = ["Brief", "Episode", "MemoryItem"]
