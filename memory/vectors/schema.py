"""What both Qdrant backends store and check the same way: vector names, indexed payload fields, the
record of which embedding model built the index, and validation of points and searches."""

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from memory.vectors.base import IndexMismatch, ScopeFilter, SearchMode, SparseVector, VectorPoint

DENSE = "dense"
SPARSE = "sparse"
KEYWORD_FIELDS = ("team", "channel", "thread", "author", "kind")
FLOAT_FIELDS = ("ts",)
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "sparse")
# Scopes matching fewer points than this are scored exactly through the payload indexes (about 3 ms for
# 15k 384-d points, perfect recall); only broader scopes use HNSW. Qdrant's default (10,000 KB, 6.6k such
# points) sent 3-channel scopes at 100k points to filtered HNSW, which found only 44-50% of the true top 8.
EXACT_BELOW_POINTS = 20_000
# HNSW beam width for broader scopes; recall@8 over 100k clustered 384-d vectors: 0.71 at 128, 0.89 at
# 256, 0.97 at 512 (3 ms).
HNSW_EF = 512
# Key of Kiok's entry in the collection metadata (server) or in the JSON file beside the shard (edge).
META_KEY = "kiok_index"
META_VERSION = 1

T = TypeVar("T")


@dataclass(frozen=True)
class IndexMeta:
    """Which embedding model, at which dimension, produced the vectors in an index."""

    model_id: str
    dimension: int

    def to_json(self) -> dict[str, Any]:
        return {META_KEY: {"version": META_VERSION, "model_id": self.model_id, "dimension": self.dimension}}

    @classmethod
    def from_json(cls, data: object) -> "IndexMeta | None":
        """The record inside `data`, or None when there is none (or it is unreadable)."""
        entry = data.get(META_KEY) if isinstance(data, dict) else None
        if not isinstance(entry, dict):
            return None
        model_id, dimension = entry.get("model_id"), entry.get("dimension")
        if not isinstance(model_id, str) or not isinstance(dimension, int):
            return None
        return cls(model_id=model_id, dimension=dimension)


def index_mismatch(where: str, stored: IndexMeta | None, wanted: IndexMeta) -> IndexMismatch:
    """The error `ensure()` raises when the index was built for another model or dimension."""
    now = f"settings now say {wanted.model_id} (dim {wanted.dimension}): run `kiok reindex`"
    if stored is None:
        return IndexMismatch(
            f"The vector index {where} holds data but no record of the embedding model that built it; {now}."
        )
    return IndexMismatch(
        f"The vector index {where} was built with model {stored.model_id} (dim {stored.dimension}), {now}."
    )


def exact_threshold_kb(dimension: int) -> int:
    """`EXACT_BELOW_POINTS` float32 vectors in KB, the unit of Qdrant's full-scan and indexing thresholds."""
    return max(1, EXACT_BELOW_POINTS * dimension * 4 // 1024)


def canonical_id(point_id: str) -> str:
    """The canonical UUID string both engines return, so ids round-trip exactly."""
    try:
        return str(uuid.UUID(point_id))
    except ValueError:
        raise ValueError(f"Point id {point_id!r} is not a UUID string") from None


def checked_payload(point: VectorPoint) -> dict[str, Any]:
    """The payload with `ts` as a float; refuses points that no scoped search could ever find."""
    payload = dict(point.payload)
    for key in ("team", "channel"):
        if not isinstance(payload.get(key), str) or not payload[key]:
            raise ValueError(f"Point {point.id}: payload needs a non-empty string {key!r}")
    ts = payload.get("ts")
    if not isinstance(ts, int | float) or isinstance(ts, bool):
        raise ValueError(f"Point {point.id}: payload needs a numeric 'ts' (Unix seconds), got {ts!r}")
    payload["ts"] = float(ts)
    return payload


def check_dense(vector: Sequence[float], dimension: int, what: str) -> list[float]:
    if len(vector) != dimension:
        raise ValueError(f"{what}: dense vector has {len(vector)} dimensions, the index has {dimension}")
    if isinstance(vector, np.ndarray):  # plain Python floats, which every transport can serialise
        values: list[float] = vector.astype(np.float64).tolist()
        return values
    return vector if isinstance(vector, list) else [float(x) for x in vector]


def check_search(
    mode: SearchMode,
    dense: Sequence[float] | None,
    sparse: SparseVector | None,
    dimension: int,
    limit: int,
) -> list[float] | None:
    """Validate search arguments; returns the dense query as a list when the mode uses it."""
    if mode not in SEARCH_MODES:
        raise ValueError(f"Unknown search mode {mode!r}; valid: {', '.join(SEARCH_MODES)}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if mode in ("hybrid", "sparse") and sparse is None:
        raise ValueError(f"Search mode {mode!r} needs a sparse query vector")
    if mode in ("hybrid", "dense"):
        if dense is None:
            raise ValueError(f"Search mode {mode!r} needs a dense query vector")
        return check_dense(dense, dimension, "Query")
    return None


def matches_nothing(scope: ScopeFilter) -> bool:
    """An empty channel (or kind) list matches no point: no search spans every channel."""
    return not scope.channels or scope.kinds == ()


def scope_terms(scope: ScopeFilter) -> tuple[list[tuple[str, list[str]]], tuple[float | None, float | None]]:
    """The scope as (keyword field, any of these values) pairs plus an inclusive `ts` range."""
    terms: list[tuple[str, list[str]]] = [("team", [scope.team]), ("channel", list(scope.channels))]
    for key, value in (("thread", scope.thread), ("author", scope.author)):
        if value is not None:
            terms.append((key, [value]))
    if scope.kinds is not None:
        terms.append(("kind", list(scope.kinds)))
    return terms, (scope.ts_from, scope.ts_to)


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = [
    "DENSE",
    "EXACT_BELOW_POINTS",
    "FLOAT_FIELDS",
    "HNSW_EF",
    "KEYWORD_FIELDS",
    "SPARSE",
    "IndexMeta",
    "batched",
    "canonical_id",
    "check_dense",
    "check_search",
    "checked_payload",
    "exact_threshold_kb",
    "index_mismatch",
    "matches_nothing",
    "scope_terms",
]
