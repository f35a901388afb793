"""Keep the vector index in step with SQL: embed what is new or changed, drop what is gone.

SQL marks each message with the hash of what was last indexed for it (`index_hash`); anything with no
hash is pending. Re-ingesting unchanged messages therefore never re-embeds, and a crash between
embedding and bookkeeping only means a batch is embedded again (upserts are idempotent).
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from memory.directory import DirectoryStore
from memory.embeddings.base import Embedder
from memory.records import MessageRecord
from memory.sparse import SparseEncoder
from memory.store import MessageStore
from memory.summary_index import SummaryIndex
from memory.units import LEXICAL_CONTEXT_WEIGHT, IndexUnit, message_unit, point_id
from memory.vectors.base import VectorPoint, VectorStore

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass
class IndexStats:
    indexed: int = 0
    embed_seconds: float = 0.0
    total_seconds: float = 0.0
    batches: int = 0
    sizes: list[int] = field(default_factory=list)


class Indexer:
    """Embeds pending messages in batches and writes them to the vector store."""

    def __init__(
        self,
        *,
        store: MessageStore,
        directory: DirectoryStore,
        embedder: Embedder,
        vectors: VectorStore,
        sparse: SparseEncoder,
        batch_size: int = 64,
        summaries: SummaryIndex | None = None,
    ) -> None:
        self._store, self._directory = store, directory
        self._embedder, self._vectors, self._sparse = embedder, vectors, sparse
        self._batch_size = batch_size
        self._summaries = summaries
        self._ready = False

    def ensure_index(self) -> None:
        """Create the collection, or fail if it was built with another model (IndexMismatch)."""
        if not self._ready:
            self._vectors.ensure(dimension=self._embedder.dimension, model_id=self._embedder.model_id)
            self._ready = True

    def index_pending(
        self,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
        progress: Progress | None = None,
        max_batches: int | None = None,
    ) -> IndexStats:
        """Index every pending message, then every pending summary (or `max_batches` batches of
        messages); calls `progress(n)` per batch of messages."""
        self.ensure_index()
        stats = IndexStats()
        started = time.perf_counter()
        while max_batches is None or stats.batches < max_batches:
            batch = self._store.pending_index(self._batch_size * 4, team_id=team_id, channel_id=channel_id)
            if not batch:
                break
            self._index(batch, stats)
            if progress is not None:
                progress(len(batch))
        while self._summaries is not None and (units := self._summaries.pending_units(self._batch_size * 4)):
            hashes = self._write(units, stats)
            self._summaries.set_unit_hashes({(u.kind, u.ref): hashes[u.point_id] for u in units})
        stats.total_seconds = time.perf_counter() - started
        return stats

    def remove_points(self, ids: list[str]) -> None:
        if ids:
            self.ensure_index()
            self._vectors.delete(ids=ids)

    def remove(self, team_id: str, keys: Iterable[tuple[str, str]]) -> None:
        """Drop the points of these `(channel, ts)` messages."""
        ids = [point_id(team_id, channel, "message", ts) for channel, ts in keys]
        if ids:
            self.ensure_index()
            self._vectors.delete(ids=ids)

    def rebuild(self) -> None:
        """Drop the index and create it empty for the current model (`kiok reindex`); SQL keeps all."""
        self._vectors.recreate(dimension=self._embedder.dimension, model_id=self._embedder.model_id)
        self._ready = True

    def point_count(self) -> int:
        self.ensure_index()
        return self._vectors.count()

    def close(self) -> None:
        """Flush and close the vector index."""
        self._vectors.close()

    def _index(self, batch: list[MessageRecord], stats: IndexStats) -> None:
        units = self._units(batch)
        hashes = self._write(units, stats)
        by_team: dict[str, dict[tuple[str, str], str]] = {}
        for u in units:
            by_team.setdefault(u.team, {})[(u.channel, u.ts)] = hashes[u.point_id]
        for team, team_hashes in by_team.items():
            self._store.set_index_hashes(team, team_hashes)

    def _write(self, units: list[IndexUnit], stats: IndexStats) -> dict[str, str]:
        """Embed and upsert units in batches; returns each point's content hash."""
        model_id = f"{self._embedder.model_id}+{self._sparse.model_id}"  # either changing means re-index
        hashes: dict[str, str] = {}
        for start in range(0, len(units), self._batch_size):
            chunk = units[start : start + self._batch_size]
            t0 = time.perf_counter()
            dense = self._embedder.embed_passages([u.text for u in chunk])
            stats.embed_seconds += time.perf_counter() - t0
            points = [
                VectorPoint(
                    u.point_id,
                    vec.tolist(),
                    self._sparse.encode_document(
                        u.lexical_text or u.text, u.lexical_context, LEXICAL_CONTEXT_WEIGHT
                    ),
                    u.payload(),
                )
                for u, vec in zip(chunk, dense, strict=True)
            ]
            self._vectors.upsert(points)
            hashes.update((u.point_id, u.content_hash(model_id)) for u in chunk)
            stats.indexed += len(chunk)
            stats.batches += 1
        return hashes

    def _units(self, batch: list[MessageRecord]) -> list[IndexUnit]:
        """Units for a batch, with thread openings, predecessors and names read in bulk."""
        units: list[IndexUnit] = []
        groups: dict[tuple[str, str], list[MessageRecord]] = {}
        for msg in batch:
            groups.setdefault((msg.team_id, msg.channel_id), []).append(msg)
        for (team, channel), msgs in groups.items():
            thread_keys = {m.thread_ts for m in msgs if m.thread_ts and m.thread_ts != m.ts}
            openings = self._store.messages_by_ts(team, [(channel, t) for t in thread_keys])
            previous = self._store.neighbours(team, channel, [m.ts for m in msgs])
            names = self._directory.user_labels(team)

            def name(uid: str, names: dict[str, str] = names) -> str:
                return names.get(uid, uid or "someone")

            for msg in msgs:
                opening = openings.get((channel, msg.thread_ts or ""))
                units.append(
                    message_unit(
                        msg,
                        opening=opening,
                        previous=previous.get(msg.ts),
                        name=name,
                    )
                )
        return units


__all__ = ["IndexStats", "Indexer"]
