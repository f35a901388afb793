"""Saved progress of resumable sync jobs (history backfill), one row per (team, channel, job), and the
per-channel high-water marks of live delivery (job `live`: the newest event ts received over the socket),
from which a reconnect reads what it missed."""

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from memory.models import Message, SyncCursor

LIVE = "live"


@dataclass(frozen=True)
class SyncState:
    cursor: str = ""
    oldest: str = ""
    state: str = ""
    done: bool = False


class SyncStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def get(self, team_id: str, channel_id: str, job: str) -> SyncState | None:
        with self._sessions.begin() as session:
            row = session.get(SyncCursor, (team_id, channel_id, job))
            return None if row is None else SyncState(row.cursor, row.oldest, row.state, row.done)

    def put(self, team_id: str, channel_id: str, job: str, state: SyncState) -> None:
        """Save progress; committed before returning, so a crash resumes from here."""
        with self._sessions.begin() as session:
            row = session.get(SyncCursor, (team_id, channel_id, job))
            if row is None:
                row = SyncCursor(team_id=team_id, channel_id=channel_id, job=job)
                session.add(row)
            row.cursor, row.oldest, row.state, row.done = state.cursor, state.oldest, state.state, state.done

    def advance_marks(self, team_id: str, marks: dict[str, str]) -> None:
        """Raise each channel's live high-water mark to the given ts (never lowers one)."""
        with self._sessions.begin() as session:
            for channel_id, ts in marks.items():
                row = session.get(SyncCursor, (team_id, channel_id, LIVE), with_for_update=True)
                if row is None:
                    session.add(SyncCursor(team_id=team_id, channel_id=channel_id, job=LIVE, cursor=ts))
                elif not row.cursor or float(row.cursor) < float(ts):
                    row.cursor = ts

    def marks(self, team_id: str) -> dict[str, str]:
        """Every channel's live high-water mark."""
        with self._sessions.begin() as session:
            rows = session.execute(
                select(SyncCursor.channel_id, SyncCursor.cursor).where(
                    SyncCursor.team_id == team_id, SyncCursor.job == LIVE
                )
            )
            return {channel: ts for channel, ts in rows if ts}

    def newest_messages(self, team_id: str) -> dict[str, str]:
        """The newest stored message ts of every channel (a fallback where no live mark exists)."""
        with self._sessions.begin() as session:
            rows = session.execute(
                select(Message.channel_id, func.max(Message.ts))
                .where(Message.team_id == team_id)
                .group_by(Message.channel_id)
            )
            return {channel: ts for channel, ts in rows if ts}

    def active_threads(self, team_id: str, channel_id: str, since_ts: str, limit: int) -> list[str]:
        """Threads of the channel with a stored message newer than `since_ts`, newest first."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(Message.thread_ts)
                .where(
                    Message.team_id == team_id,
                    Message.channel_id == channel_id,
                    Message.thread_ts.is_not(None),
                    Message.ts > since_ts,
                )
                .group_by(Message.thread_ts)
                .order_by(Message.thread_ts.desc())
                .limit(limit)
            )
            return [str(ts) for ts in rows if ts]


__all__ = ["LIVE", "SyncState", "SyncStore"]
