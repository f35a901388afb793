"""Tables behind the Slack surfaces: what each user last saw (for catch-up), digest schedules, and
posted digests (unique per channel and period, so a digest is never posted twice)."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from memory.models import Base, utcnow


class UserVisit(Base):
    """The newest message ts a user has been shown in a channel (by `/kiok catchup` or reading)."""

    __tablename__ = "user_visits"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seen_ts: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class DigestSchedule(Base):
    """A channel's digest cadence: daily at HH:MM or weekly on a weekday, in a time zone."""

    __tablename__ = "digest_schedules"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cadence: Mapped[str] = mapped_column(String(8), default="daily")  # daily | weekly
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday (weekly only)
    at_time: Mapped[str] = mapped_column(String(5), default="09:00")  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class DigestPost(Base):
    """One posted digest. The unique (channel, period) key makes posting idempotent across restarts,
    misfire catch-ups and several bot processes: whoever inserts the row first posts."""

    __tablename__ = "digest_posts"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "period_key", name="uq_digest_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    period_key: Mapped[str] = mapped_column(String(40))  # e.g. daily:2026-11-23 / weekly:2026-W48 / now:<ts>
    since_ts: Mapped[str] = mapped_column(String(32), default="")  # what the digest covered: (since, until]
    until_ts: Mapped[str] = mapped_column(String(32), default="")
    message_ts: Mapped[str] = mapped_column(String(32), default="")  # the posted message, once posted
    state: Mapped[str] = mapped_column(String(16), default="claimed")  # claimed | posted | failed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


__all__ = ["DigestPost", "DigestSchedule", "UserVisit"]
