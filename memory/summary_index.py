"""Summarized memory as the vector index and privacy see it: index units for episodes and items,
the text recall shows for them, and erasing summaries built from forgotten messages."""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.summary_models import Brief, Episode, MemoryItem
from memory.units import IndexUnit, point_id


def _item_text(it: MemoryItem) -> str:
    return " ".join(p for p in (it.owner and f"{it.owner}:", it.text, it.due and f"(due {it.due})") if p)


SUMMARY_KINDS = ("episode", "decision", "action_item", "open_question", "fact", "convention")  # indexed kinds


class SummaryIndex:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def pending_units(self, limit: int) -> list[IndexUnit]:
        """Episodes and items not yet in the vector index, as index units (kind, ref = row id)."""
        units: list[IndexUnit] = []
        with self._session() as session:
            # A batch's overview is what its week rolls up from; the week and its thread and day
            # episodes are indexed, so recall does not show it too (with every message of a batch as source).
            pending = select(Episode).where(Episode.index_hash.is_(None), Episode.kind != "batch")
            for ep in session.scalars(pending.limit(limit)):
                units.append(
                    IndexUnit(
                        point_id(ep.team_id, ep.channel_id, "episode", str(ep.id)),
                        ep.team_id,
                        ep.channel_id,
                        ep.thread_ts,
                        ep.end_ts,
                        "",
                        "episode",
                        ep.summary,
                        tuple(json.loads(ep.sources)),
                        ref=ep.id,
                    )
                )
            room = max(0, limit - len(units))
            for it in session.scalars(select(MemoryItem).where(MemoryItem.index_hash.is_(None)).limit(room)):
                text = " ".join(
                    p for p in (it.owner and f"{it.owner}:", it.text, it.due and f"(due {it.due})") if p
                )
                units.append(
                    IndexUnit(
                        point_id(it.team_id, it.channel_id, it.kind, str(it.id)),
                        it.team_id,
                        it.channel_id,
                        None,
                        it.valid_from,
                        "",
                        it.kind,
                        text,
                        tuple(json.loads(it.sources)),
                        ref=it.id,
                    )
                )
        return [u for u in units if u.text.strip()] + [
            IndexUnit(
                u.point_id,
                u.team,
                u.channel,
                u.thread,
                u.ts,
                u.author,
                u.kind,
                "(empty)",
                u.sources,
                ref=u.ref,
            )
            for u in units
            if not u.text.strip()
        ]

    def set_unit_hashes(self, hashes: dict[tuple[str, int], str]) -> None:
        """Record what is in the index for each (kind, row id)."""
        with self._session() as session:
            for (kind, ref), digest in hashes.items():
                row = session.get(Episode, ref) if kind == "episode" else session.get(MemoryItem, ref)
                if row is not None:
                    row.index_hash = digest

    def clear_unit_hashes(self) -> int:
        with self._session() as session:
            n = 0
            for table in (Episode, MemoryItem):
                n += int(getattr(session.execute(update(table).values(index_hash=None)), "rowcount", 0) or 0)
            return n

    def texts_by_ref(
        self, refs: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[str, str, str | None]]:
        """For recall: (kind, id) -> (text as shown, ts, thread_ts). Superseded items say so."""
        found: dict[tuple[str, int], tuple[str, str, str | None]] = {}
        with self._session() as session:
            for kind, ref in refs:
                if kind == "episode":
                    ep = session.get(Episode, ref)
                    if ep is not None:
                        found[(kind, ref)] = (ep.summary, ep.end_ts, ep.thread_ts)
                    continue
                it = session.get(MemoryItem, ref)
                if it is None:
                    continue
                text = " ".join(
                    p for p in (it.owner and f"{it.owner}:", it.text, it.due and f"(due {it.due})") if p
                )
                if it.superseded_by:
                    text += " [superseded]"
                elif it.status != "open":
                    text += f" [{it.status}]"
                found[(kind, ref)] = (text, it.valid_from, None)
        return found

    def forget(
        self, team_id: str, channel_id: str | None, erased: set[tuple[str, str]], user_id: str | None = None
    ) -> list[str]:
        """Drop summaries built from erased messages (or all of a channel's); returns their point ids.

        Their channel's brief is dropped too: it is rebuilt by the next summary of that channel.
        """
        points: list[str] = []
        with self._session() as session:
            query = select(Episode).where(Episode.team_id == team_id)
            if channel_id is not None:
                query = query.where(Episode.channel_id == channel_id)
            channels: set[str] = set()
            for ep in session.scalars(query):
                touched = any((ep.channel_id, ts) in erased for ts in json.loads(ep.sources))
                if (
                    touched
                    or (user_id and user_id in json.loads(ep.participants))
                    or (channel_id is not None and not erased and user_id is None)
                ):
                    items = session.scalars(select(MemoryItem).where(MemoryItem.episode_id == ep.id)).all()
                    points += [point_id(i.team_id, i.channel_id, i.kind, str(i.id)) for i in items]
                    points.append(point_id(ep.team_id, ep.channel_id, "episode", str(ep.id)))
                    for item in items:
                        session.delete(item)
                    session.delete(ep)
                    channels.add(ep.channel_id)
            for channel in channels:
                brief = session.get(Brief, (team_id, channel))
                if brief is not None:
                    session.delete(brief)
        return points


__all__ = ["SUMMARY_KINDS", "SummaryIndex"]
