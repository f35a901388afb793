"""Workspaces, conversations and people as Kiok knows them (names, kinds, privacy), kept in SQL."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from memory.errors import DatabaseUnavailable
from memory.models import Channel, User, Workspace
from memory.records import ChannelRecord, UserRecord


class DirectoryStore:
    """Repository of workspaces, channels and users. Thread-safe: each call uses its own session."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            where = self._engine.url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"Database {where} failed: {exc.orig}") from None

    def upsert_workspace(self, team_id: str, name: str = "") -> None:
        with self._session() as session:
            row = session.get(Workspace, team_id)
            if row is None:
                session.add(Workspace(team_id=team_id, name=name))
            elif name and row.name != name:
                row.name = name

    def upsert_channel(self, channel: ChannelRecord) -> None:
        with self._session() as session:
            row = session.get(Channel, (channel.team_id, channel.channel_id))
            if row is None:
                row = Channel(team_id=channel.team_id, channel_id=channel.channel_id)
                session.add(row)
            row.name, row.kind, row.is_private = channel.name, channel.kind, channel.is_private

    def get_channel(self, team_id: str, channel_id: str) -> ChannelRecord | None:
        with self._session() as session:
            row = session.get(Channel, (team_id, channel_id))
            if row is None:
                return None
            return ChannelRecord(row.team_id, row.channel_id, row.name, row.kind, row.is_private)

    def upsert_user(self, user: UserRecord) -> None:
        try:
            self._upsert_user(user)
        except IntegrityError:  # two answers resolved the same new user at once: the other row won
            self._upsert_user(user)

    def _upsert_user(self, user: UserRecord) -> None:
        with self._session() as session:
            row = session.get(User, (user.team_id, user.user_id))
            if row is None:
                row = User(team_id=user.team_id, user_id=user.user_id)
                session.add(row)
            row.name, row.real_name, row.display_name = user.name, user.real_name, user.display_name
            row.is_bot, row.locale, row.tz = user.is_bot, user.locale, user.tz

    def get_user(self, team_id: str, user_id: str, *, max_age_s: float | None = None) -> UserRecord | None:
        """The stored user, or None if unknown or older than `max_age_s` (so callers refresh it)."""
        with self._session() as session:
            row = session.get(User, (team_id, user_id))
            if row is None:
                return None
            if max_age_s is not None and _age_seconds(row.updated_at) > max_age_s:
                return None
            return UserRecord(
                row.team_id,
                row.user_id,
                row.name,
                row.real_name,
                row.display_name,
                row.is_bot,
                row.locale,
                row.tz,
            )

    def user_labels(self, team_id: str) -> dict[str, str]:
        """Display label for every known user of a team (one query; used when building index units)."""
        with self._session() as session:
            rows = session.scalars(select(User).where(User.team_id == team_id))
            return {r.user_id: r.display_name or r.real_name or r.name or r.user_id for r in rows}

    def find_channel(self, team_id: str, name_or_id: str) -> str | None:
        """A channel id from its id or its name."""
        with self._session() as session:
            row = session.scalars(
                select(Channel).where(
                    Channel.team_id == team_id,
                    or_(Channel.channel_id == name_or_id, Channel.name == name_or_id),
                )
            ).first()
            return None if row is None else row.channel_id

    def channel_names(self) -> dict[tuple[str, str], str]:
        with self._session() as session:
            return {(r.team_id, r.channel_id): r.name for r in session.scalars(select(Channel))}

    def team_ids(self) -> set[str]:
        with self._session() as session:
            return set(session.scalars(select(Workspace.team_id)))


def _age_seconds(when: datetime) -> float:
    if when.tzinfo is None:  # SQLite returns naive datetimes
        when = when.replace(tzinfo=UTC)
    return (datetime.now(UTC) - when).total_seconds()


__all__ = ["DirectoryStore"]
