"""The embedded backend: Qdrant's own engine in-process (qdrant-edge), one shard in one directory.

Index metadata: `kiok-index.json` inside the shard directory records the embedding model and dimension
(the engine keeps only the dimension), written atomically after the shard is created.

Threads: qdrant-edge 0.9 holds the GIL for the whole of every call, so engine calls never overlap
anyway; one lock serializes them so that ensure/recreate/close cannot race a search or an upsert.

Optimization: the engine has no background optimizer. New points land in an appendable plain segment
that is searched exactly, through the keyword indexes when a scope is narrow (1 channel of 100k points:
about 2 ms hybrid), by full scan when it is broad (all channels of 100k: about 60 ms). `optimize()`
builds HNSW for segments above `EXACT_BELOW_POINTS` points and vacuums deletions (until then deleted
points still count in the sparse IDF statistics). It holds the GIL, stalling the whole process for
90-150 s at 100k 384-d points on 2 cores, so it never runs by itself: call it after bulk loads
(`kiok reindex`, backfills), before serving. It holds the store's lock, so writers wait; none is lost."""

import json
import logging
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeOptimizersConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    Fusion,
    HnswIndexConfig,
    MatchAny,
    MatchValue,
    Modifier,
    PayloadSchemaType,
    Point,
    Prefetch,
    Query,
    QueryRequest,
    RangeFloat,
    ScoredPoint,
    SearchParams,
    UpdateOperation,
)
from qdrant_edge import SparseVector as EdgeSparse

from memory.errors import VectorStoreUnavailable
from memory.vectors.base import ScopeFilter, SearchMode, SparseVector, VectorHit, VectorPoint, VectorStore
from memory.vectors.schema import (
    DENSE,
    FLOAT_FIELDS,
    HNSW_EF,
    KEYWORD_FIELDS,
    SPARSE,
    IndexMeta,
    batched,
    canonical_id,
    check_dense,
    check_search,
    checked_payload,
    exact_threshold_kb,
    index_mismatch,
    matches_nothing,
    scope_terms,
)

log = logging.getLogger(__name__)

META_FILE = "kiok-index.json"
# Files the engine itself keeps in a shard directory; recreate() deletes only a directory that looks like one.
ENGINE_FILES = frozenset({"edge_config.json", "segments", "wal", META_FILE, f".{META_FILE}.tmp"})
UPSERT_BATCH = 1000


def _scope_filter(scope: ScopeFilter) -> Filter:
    terms, (ts_from, ts_to) = scope_terms(scope)
    conditions = [
        FieldCondition(key=key, match=MatchValue(values[0]) if len(values) == 1 else MatchAny(values))
        for key, values in terms
    ]
    if ts_from is not None or ts_to is not None:
        conditions.append(FieldCondition(key="ts", range=RangeFloat(gte=ts_from, lte=ts_to)))
    return Filter(must=[*conditions])


def _sparse(vector: SparseVector) -> EdgeSparse:
    return EdgeSparse([int(i) for i in vector.indices], [float(v) for v in vector.values])


def _hit(point: ScoredPoint) -> VectorHit:
    return VectorHit(id=str(point.id), score=float(point.score), payload=dict(point.payload or {}))


class EdgeVectorStore(VectorStore):
    """One qdrant-edge shard at `path` (created by `ensure()`, reopened with `EdgeShard.load`).

    `indexing_threshold_kb` is the segment size above which `optimize()` builds HNSW; by default the
    size of `EXACT_BELOW_POINTS` vectors, below which searches are exact anyway. Tests lower it.
    """

    def __init__(self, *, path: Path, indexing_threshold_kb: int | None = None) -> None:
        self._path = Path(path)
        self._indexing_threshold_kb = indexing_threshold_kb
        self._lock = threading.RLock()
        self._shard: EdgeShard | None = None
        self._meta: IndexMeta | None = None
        self._wanted: IndexMeta | None = None  # what ensure() asked for, to reopen a rebuilt index
        self._identity: tuple[int, int] | None = None  # the directory the open shard lives in

    @property
    def path(self) -> Path:
        return self._path

    def stored_meta(self) -> IndexMeta | None:
        """The model and dimension recorded for the index on disk (None: no index there yet)."""
        return self._read_meta()

    # --- lifecycle ---------------------------------------------------------------------------------

    def ensure(self, *, dimension: int, model_id: str) -> None:
        wanted = IndexMeta(model_id=model_id, dimension=dimension)
        with self._lock:
            stored = self._read_meta()
            if stored is not None and stored != wanted:
                raise index_mismatch(f"at {self._path}", stored, wanted)
            if self._shard is None:
                self._shard = self._open(wanted)
                self._identity = _identity(self._path)
            if stored is None:
                if self._shard.count(CountRequest(exact=True)) > 0:
                    self._release()
                    raise index_mismatch(f"at {self._path}", None, wanted)
                self._write_meta(wanted)
            self._ensure_payload_indexes(self._shard)
            self._meta = self._wanted = wanted

    def recreate(self, *, dimension: int, model_id: str) -> None:
        with self._lock:
            self._release()
            if self._path.exists():
                unexpected = {p.name for p in self._path.iterdir()} - ENGINE_FILES
                if unexpected:
                    raise RuntimeError(
                        f"Refusing to delete {self._path}: it holds files a vector index does not "
                        f"({', '.join(sorted(unexpected))}). Set KIOK_VECTOR__PATH to another directory."
                    )
                if self._has_data():
                    self._fail_if_in_use()
                shutil.rmtree(self._path)
            self.ensure(dimension=dimension, model_id=model_id)

    def close(self) -> None:
        with self._lock:
            self._release()
            self._wanted = None  # closed on purpose: stays closed until ensure()

    def optimize(self) -> None:
        """Build HNSW indexes and vacuum deletions; blocks every thread of the process while it runs."""
        with self._lock:
            shard = self._ready()[0]
            shard.optimize()
            shard.flush()

    # --- data --------------------------------------------------------------------------------------

    def upsert(self, points: Sequence[VectorPoint]) -> None:
        with self._lock:
            shard, meta = self._ready()
            for batch in batched(points, UPSERT_BATCH):
                edge_points = [
                    Point(
                        canonical_id(p.id),
                        {
                            DENSE: check_dense(p.dense, meta.dimension, f"Point {p.id}"),
                            SPARSE: _sparse(p.sparse),
                        },
                        checked_payload(p),
                    )
                    for p in batch
                ]
                shard.update(UpdateOperation.upsert_points(edge_points))

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
        with self._lock:
            shard, meta = self._ready()
            dense_query = check_search(mode, dense, sparse, meta.dimension, limit)
            if matches_nothing(scope):
                return []
            flt = _scope_filter(scope)
            params = SearchParams(hnsw_ef=max(HNSW_EF, limit, candidates))
            dense_q = Query.Nearest(dense_query, using=DENSE) if dense_query is not None else None
            sparse_q = Query.Nearest(_sparse(sparse), using=SPARSE) if sparse and sparse.indices else None
            if mode == "dense":
                request = QueryRequest(
                    limit=limit, query=dense_q, filter=flt, params=params, with_payload=True
                )
            elif mode == "sparse":
                if sparse_q is None:
                    return []
                request = QueryRequest(limit=limit, query=sparse_q, filter=flt, with_payload=True)
            else:
                width = max(candidates, 1)
                prefetches = [Prefetch(width, dense_q, params=params, filter=flt)]
                if sparse_q is not None:
                    prefetches.append(Prefetch(width, sparse_q, filter=flt))
                # The stub types `query` as `Fusion`, but the engine wants the nested `Fusion.Rrf`.
                rrf: Any = Fusion.Rrf(k=rrf_k)
                request = QueryRequest(limit=limit, prefetches=prefetches, query=rrf, with_payload=True)
            return [_hit(p) for p in shard.query(request)]

    def delete(self, *, ids: Sequence[str] | None = None, scope: ScopeFilter | None = None) -> None:
        if (ids is None) == (scope is None):
            raise ValueError("delete() takes exactly one of ids= or scope=")
        with self._lock:
            shard = self._ready()[0]
            if ids is not None:
                if ids:
                    shard.update(UpdateOperation.delete_points([canonical_id(i) for i in ids]))
            elif scope is not None and not matches_nothing(scope):
                shard.update(UpdateOperation.delete_points_by_filter(_scope_filter(scope)))

    def count(self, scope: ScopeFilter | None = None) -> int:
        with self._lock:
            shard = self._ready()[0]
            if scope is None:
                return shard.count(CountRequest(exact=True))
            if matches_nothing(scope):
                return 0
            return shard.count(CountRequest(exact=True, filter=_scope_filter(scope)))

    # --- internals ---------------------------------------------------------------------------------

    def _ready(self) -> tuple[EdgeShard, IndexMeta]:
        """The open shard. One whose directory was deleted or replaced underneath is dropped: a deleted
        index fails with a message naming `kiok reindex`; one rebuilt by `kiok reindex` is reopened."""
        if self._shard is not None and _identity(self._path) != self._identity:
            log.warning("the vector index at %s was deleted or replaced underneath; dropping it", self._path)
            self._release()
        if self._shard is None or self._meta is None:
            if self._wanted is None:
                raise RuntimeError(f"The vector index at {self._path} is not open: call ensure() first")
            if not self._path.is_dir():
                raise VectorStoreUnavailable(
                    f"The vector index at {self._path} is gone (deleted while Kiok was running). Answers use "
                    "the thread only until it is rebuilt: run `kiok reindex`."
                )
            self.ensure(dimension=self._wanted.dimension, model_id=self._wanted.model_id)
        assert self._shard is not None and self._meta is not None
        return self._shard, self._meta

    def _config(self, dimension: int) -> EdgeConfig:
        threshold_kb = exact_threshold_kb(dimension)
        indexing_kb = self._indexing_threshold_kb if self._indexing_threshold_kb is not None else threshold_kb
        return EdgeConfig(
            vectors={DENSE: EdgeVectorParams(size=dimension, distance=Distance.Cosine)},
            sparse_vectors={SPARSE: EdgeSparseVectorParams(modifier=Modifier.Idf)},
            hnsw_config=HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=threshold_kb),
            optimizers=EdgeOptimizersConfig(indexing_threshold=indexing_kb),
        )

    def _open(self, wanted: IndexMeta) -> EdgeShard:
        """Load the shard (the engine checks its dimension against `wanted`) or create an empty one."""
        try:
            if self._has_data():
                return EdgeShard.load(str(self._path), self._config(wanted.dimension))
            return EdgeShard.create(str(self._path), self._config(wanted.dimension))
        except Exception as exc:  # qdrant-edge raises plain Exception with the engine's message
            message = str(exc)
            if "incompatible" in message.lower():
                raise index_mismatch(f"at {self._path}", self._read_meta(), wanted) from None
            if "WouldBlock" in message:
                raise self._in_use() from None
            raise VectorStoreUnavailable(f"Cannot open the vector index at {self._path}: {message}") from None

    def _has_data(self) -> bool:
        return self._path.is_dir() and any(p.name != META_FILE for p in self._path.iterdir())

    def _fail_if_in_use(self) -> None:
        """The engine locks the shard's WAL while it is open; never delete a shard another process uses."""
        try:
            EdgeShard.load(str(self._path)).close()
        except Exception as exc:  # anything but the lock (a half-written shard) is what recreate() is for
            if "WouldBlock" in str(exc):
                raise self._in_use() from None

    def _in_use(self) -> VectorStoreUnavailable:
        return VectorStoreUnavailable(
            f"The vector index at {self._path} is in use by another process (is another Kiok running?). "
            "Stop it, or set KIOK_VECTOR__PATH to another directory."
        )

    def _ensure_payload_indexes(self, shard: EdgeShard) -> None:
        existing = shard.info().payload_schema
        for key in KEYWORD_FIELDS:
            if key not in existing:
                shard.update(UpdateOperation.create_field_index(key, PayloadSchemaType.Keyword))
        for key in FLOAT_FIELDS:
            if key not in existing:
                shard.update(UpdateOperation.create_field_index(key, PayloadSchemaType.Float))

    def _release(self) -> None:
        if self._shard is not None:
            shard, self._shard, self._meta, self._identity = self._shard, None, None, None
            try:
                shard.flush()
                shard.close()
            except Exception as exc:  # its files were deleted underneath: nothing left to save
                log.warning("closing the vector index at %s failed: %s", self._path, exc)

    def _read_meta(self) -> IndexMeta | None:
        try:
            return IndexMeta.from_json(json.loads((self._path / META_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def _write_meta(self, meta: IndexMeta) -> None:
        tmp = self._path / f".{META_FILE}.tmp"
        tmp.write_text(json.dumps(meta.to_json(), indent=2), encoding="utf-8")
        tmp.replace(self._path / META_FILE)


def _identity(path: Path) -> tuple[int, int] | None:
    """Device and inode of `path`, or None when it does not exist: a rebuilt directory differs."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


__all__ = ["EdgeVectorStore"]
