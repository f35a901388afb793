"""The one interface every vector-index backend implements. The index is derived data: SQL is the
source of truth and `kiok reindex` rebuilds the index from it."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from memory.errors import StoreError

SearchMode = Literal["hybrid", "dense", "sparse"]

# Payload keys every point carries; filters use them.
PAYLOAD_FIELDS = ("team", "channel", "thread", "author", "ts", "kind", "sources")


@dataclass(frozen=True)
class SparseVector:
    """Term weights: `indices` are hashed term ids (uint32, unique), `values` their weights."""

    indices: list[int]
    values: list[float]


@dataclass(frozen=True)
class VectorPoint:
    """One indexed memory unit. `id` is a UUID string derived from the unit's natural key."""

    id: str
    dense: list[float]
    sparse: SparseVector
    payload: dict[str, Any]


@dataclass(frozen=True)
class ScopeFilter:
    """Which points a search may return. `channels` is required: no search spans every channel.

    `ts_from` / `ts_to` are Unix seconds (inclusive); `kinds` restricts memory kinds ("message" ...).
    """

    team: str
    channels: tuple[str, ...]
    thread: str | None = None
    author: str | None = None
    ts_from: float | None = None
    ts_to: float | None = None
    kinds: tuple[str, ...] | None = None


@dataclass(frozen=True)
class VectorHit:
    id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)


class IndexMismatch(StoreError):
    """The stored index was built with another embedding model or dimension."""


class VectorStore(ABC):
    """A Qdrant collection with one dense vector ("dense", cosine) and one sparse vector ("sparse",
    IDF modifier) per point. Higher score = more similar, for every mode."""

    @abstractmethod
    def ensure(self, *, dimension: int, model_id: str) -> None:
        """Create the collection if missing; raise IndexMismatch naming `kiok reindex` when the existing
        one was built for another dimension or model."""

    @abstractmethod
    def recreate(self, *, dimension: int, model_id: str) -> None:
        """Drop every point and the record of the old model, then ensure() anew (`kiok reindex`)."""

    @abstractmethod
    def upsert(self, points: Sequence[VectorPoint]) -> None:
        """Insert or replace points by id (idempotent)."""

    @abstractmethod
    def search(
        self,
        *,
        dense: Sequence[float] | None,
        sparse: SparseVector | None,
        scope: ScopeFilter,
        limit: int,
        mode: SearchMode = "hybrid",
        rrf_k: int = 60,
        candidates: int = 40,
    ) -> list[VectorHit]:
        """Best `limit` points within `scope`. Hybrid fuses dense and sparse candidate lists (`candidates`
        long each) with reciprocal-rank fusion: score = sum of 1 / (rrf_k + rank), rank counted from 0."""

    @abstractmethod
    def delete(self, *, ids: Sequence[str] | None = None, scope: ScopeFilter | None = None) -> None:
        """Remove points by id, or every point matching `scope` (exactly one of the two)."""

    @abstractmethod
    def count(self, scope: ScopeFilter | None = None) -> int:
        """Exact number of points (within `scope`, if given)."""

    def close(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Release files and connections."""

    def optimize(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Build search structures after bulk loads (a no-op where the engine does it itself)."""


__all__ = [
    "PAYLOAD_FIELDS",
    "IndexMismatch",
    "ScopeFilter",
    "SearchMode",
    "SparseVector",
    "VectorHit",
    "VectorPoint",
    "VectorStore",
]
