"""Per-channel memory policies (sharing, retention) and user opt-outs, kept in SQL."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from memory.models import Channel, ChannelPolicy, OptOut


@dataclass(frozen=True)
class Policy:
    shared: bool = False
    retention_days: int | None = None
    followups: bool = False


class PolicyStore:
    """Admin choices about what Kiok may remember and who may see it."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def get(self, team_id: str, channel_id: str) -> Policy:
        with self._session() as session:
            row = session.get(ChannelPolicy, (team_id, channel_id))
            return Policy() if row is None else Policy(row.shared, row.retention_days, row.followups)

    def update(
        self,
        team_id: str,
        channel_id: str,
        *,
        shared: bool | None = None,
        followups: bool | None = None,
        retention_days: int | bool | None = False,
    ) -> Policy:
        """Change a channel's policy; `retention_days=None` clears retention, `False` leaves it."""
        with self._session() as session:
            row = session.get(ChannelPolicy, (team_id, channel_id))
            if row is None:
                row = ChannelPolicy(team_id=team_id, channel_id=channel_id, shared=False, followups=False)
                session.add(row)
            if shared is not None:
                row.shared = shared
            if followups is not None:
                row.followups = followups
            if retention_days is not False:
                row.retention_days = None if retention_days is None else int(retention_days)
            return Policy(row.shared, row.retention_days, row.followups)

    def shared_public_channels(self, team_id: str) -> list[str]:
        """Channels an admin shared that are public (a private channel is never shared, even if flagged)."""
        with self._session() as session:
            rows = session.execute(
                select(ChannelPolicy.channel_id)
                .join(
                    Channel,
                    (Channel.team_id == ChannelPolicy.team_id)
                    & (Channel.channel_id == ChannelPolicy.channel_id),
                )
                .where(
                    ChannelPolicy.team_id == team_id,
                    ChannelPolicy.shared.is_(True),
                    Channel.is_private.is_(False),
                    Channel.kind == "channel",
                )
            )
            return sorted(r[0] for r in rows)

    def retention_rules(self) -> list[tuple[str, str, int]]:
        """`(team, channel, days)` for every channel with a retention period."""
        with self._session() as session:
            rows = session.execute(
                select(ChannelPolicy.team_id, ChannelPolicy.channel_id, ChannelPolicy.retention_days).where(
                    ChannelPolicy.retention_days.is_not(None)
                )
            )
            return [(r[0], r[1], int(r[2] or 0)) for r in rows]

    def opt_out(self, team_id: str, user_id: str) -> None:
        with self._session() as session:
            if session.get(OptOut, (team_id, user_id)) is None:
                session.add(OptOut(team_id=team_id, user_id=user_id))

    def opt_in(self, team_id: str, user_id: str) -> None:
        with self._session() as session:
            session.execute(delete(OptOut).where(OptOut.team_id == team_id, OptOut.user_id == user_id))

    def opted_out(self, team_id: str) -> set[str]:
        with self._session() as session:
            return set(session.scalars(select(OptOut.user_id).where(OptOut.team_id == team_id)))


__all__ = ["Policy", "PolicyStore"]
