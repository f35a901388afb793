"""Saved progress of resumable sync jobs (history backfill), one row per (team, channel, job)."""

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from memory.models import SyncCursor


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


__all__ = ["SyncState", "SyncStore"]
