"""The server backend: a Qdrant collection reached through qdrant-client (docker-compose's `qdrant`).

Index metadata lives in the collection's own metadata (Qdrant 1.16+, also kept by qdrant-client's local
mode) under `kiok_index`, so no reserved point can leak into searches or counts.

Search planning matches the embedded backend: scopes under `EXACT_BELOW_POINTS` points are scored
exactly (the collection's full-scan threshold), broader ones through HNSW with `hnsw_ef=HNSW_EF`.

Timeouts come from the injected client (the factory sets `timeout=` from settings); connection failures
and refused credentials are translated here, once, into `VectorStoreUnavailable`."""

import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from memory.errors import VectorStoreUnavailable
from memory.vectors.base import (
    IndexMismatch,
    ScopeFilter,
    SearchMode,
    SparseVector,
    VectorHit,
    VectorPoint,
    VectorStore,
)
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

UPSERT_BATCH = 256
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


def _scope_filter(scope: ScopeFilter) -> models.Filter:
    terms, (ts_from, ts_to) = scope_terms(scope)
    must: list[models.Condition] = [
        models.FieldCondition(
            key=key,
            match=models.MatchValue(value=values[0]) if len(values) == 1 else models.MatchAny(any=values),
        )
        for key, values in terms
    ]
    if ts_from is not None or ts_to is not None:
        must.append(models.FieldCondition(key="ts", range=models.Range(gte=ts_from, lte=ts_to)))
    return models.Filter(must=must)


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(
        indices=[int(i) for i in vector.indices], values=[float(v) for v in vector.values]
    )


def _hit(point: models.ScoredPoint) -> VectorHit:
    return VectorHit(id=str(point.id), score=float(point.score), payload=dict(point.payload or {}))


class ServerVectorStore(VectorStore):
    """One collection on a Qdrant server. `url` only names the server in error messages."""

    def __init__(self, *, client: QdrantClient, collection: str, url: str | None = None) -> None:
        self._client = client
        self._collection = collection
        self._url = url or "the configured Qdrant server"
        self._meta: IndexMeta | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Translate the client's transport failures into one error that says what to fix."""
        try:
            yield
        except ResponseHandlingException as exc:  # connection refused, DNS, timeout
            reason = f"{type(exc.source).__name__}: {exc.source}".rstrip(": ")
            raise VectorStoreUnavailable(
                f"Cannot reach Qdrant at {self._url} ({reason}). Is the server running? "
                "Set KIOK_VECTOR__URL to its address (e.g. http://qdrant:6333)."
            ) from None
        except UnexpectedResponse as exc:
            if exc.status_code in (401, 403):
                raise VectorStoreUnavailable(
                    f"Qdrant at {self._url} refused the API key (HTTP {exc.status_code}): "
                    "check KIOK_VECTOR__API_KEY and KIOK_VECTOR__URL."
                ) from None
            if exc.status_code in UNAVAILABLE_STATUSES:
                raise VectorStoreUnavailable(
                    f"Qdrant at {self._url} is unavailable (HTTP {exc.status_code}); "
                    "check the server and KIOK_VECTOR__URL."
                ) from None
            raise

    # --- lifecycle ---------------------------------------------------------------------------------

    def ensure(self, *, dimension: int, model_id: str) -> None:
        wanted = IndexMeta(model_id=model_id, dimension=dimension)
        where = f"{self._collection!r} on {self._url}"
        with self._lock, self._errors():
            if not self._client.collection_exists(self._collection):
                self._client.create_collection(
                    self._collection,
                    vectors_config={
                        DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
                    },
                    sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                    hnsw_config=models.HnswConfigDiff(full_scan_threshold=exact_threshold_kb(dimension)),
                    optimizers_config=models.OptimizersConfigDiff(
                        indexing_threshold=exact_threshold_kb(dimension)
                    ),
                    metadata=wanted.to_json(),
                )
            info = self._client.get_collection(self._collection)
            stored = IndexMeta.from_json(info.config.metadata)
            vectors = info.config.params.vectors
            size = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else None
            if size is None:
                raise IndexMismatch(
                    f"The collection {where} has no dense vector named {DENSE!r}, so Kiok did not make it: "
                    "set KIOK_VECTOR__COLLECTION to another name, or run `kiok reindex` to replace it."
                )
            if stored is not None and stored != wanted:
                raise index_mismatch(where, stored, wanted)
            if size != dimension:
                built = IndexMeta(model_id=stored.model_id if stored else "unknown", dimension=size)
                raise index_mismatch(where, built, wanted)
            if stored is None:
                if self._client.count(self._collection, exact=True).count > 0:
                    raise index_mismatch(where, None, wanted)
                self._client.update_collection(self._collection, metadata=wanted.to_json())
            self._ensure_payload_indexes(set(info.payload_schema))
            self._meta = wanted

    def recreate(self, *, dimension: int, model_id: str) -> None:
        with self._errors():
            self._client.delete_collection(self._collection)
        self._meta = None
        self.ensure(dimension=dimension, model_id=model_id)

    def close(self) -> None:
        self._client.close()

    # --- data --------------------------------------------------------------------------------------

    def upsert(self, points: Sequence[VectorPoint]) -> None:
        meta = self._ready()
        for batch in batched(points, UPSERT_BATCH):
            structs = [
                models.PointStruct(
                    id=canonical_id(p.id),
                    vector={
                        DENSE: check_dense(p.dense, meta.dimension, f"Point {p.id}"),
                        SPARSE: _sparse(p.sparse),
                    },
                    payload=checked_payload(p),
                )
                for p in batch
            ]
            with self._errors():
                self._client.upsert(self._collection, points=structs, wait=True)

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
        meta = self._ready()
        dense_query = check_search(mode, dense, sparse, meta.dimension, limit)
        if matches_nothing(scope):
            return []
        flt = _scope_filter(scope)
        params = models.SearchParams(hnsw_ef=max(HNSW_EF, limit, candidates))
        sparse_query = _sparse(sparse) if sparse is not None and sparse.indices else None
        query: list[float] | models.SparseVector | models.RrfQuery | None = dense_query
        using: str | None = DENSE
        prefetch: list[models.Prefetch] = []
        if mode == "sparse":
            if sparse_query is None:
                return []
            query, using = sparse_query, SPARSE
        elif mode == "hybrid":
            width = max(candidates, 1)
            prefetch.append(
                models.Prefetch(query=dense_query, using=DENSE, filter=flt, params=params, limit=width)
            )
            if sparse_query is not None:
                prefetch.append(models.Prefetch(query=sparse_query, using=SPARSE, filter=flt, limit=width))
            query, using = models.RrfQuery(rrf=models.Rrf(k=rrf_k)), None
        with self._errors():
            response = self._client.query_points(
                self._collection,
                query=query,
                using=using,
                prefetch=prefetch or None,
                query_filter=flt,
                search_params=params,
                limit=limit,
                with_payload=True,
            )
        return [_hit(p) for p in response.points]

    def delete(self, *, ids: Sequence[str] | None = None, scope: ScopeFilter | None = None) -> None:
        if (ids is None) == (scope is None):
            raise ValueError("delete() takes exactly one of ids= or scope=")
        self._ready()
        selector: models.PointIdsList | models.FilterSelector
        if ids is not None:
            if not ids:
                return
            selector = models.PointIdsList(points=[canonical_id(i) for i in ids])
        elif scope is not None and not matches_nothing(scope):
            selector = models.FilterSelector(filter=_scope_filter(scope))
        else:
            return
        with self._errors():
            self._client.delete(self._collection, points_selector=selector, wait=True)

    def count(self, scope: ScopeFilter | None = None) -> int:
        self._ready()
        if scope is not None and matches_nothing(scope):
            return 0
        flt = _scope_filter(scope) if scope is not None else None
        with self._errors():
            return self._client.count(self._collection, count_filter=flt, exact=True).count

    # --- internals ---------------------------------------------------------------------------------

    def _ready(self) -> IndexMeta:
        if self._meta is None:
            raise RuntimeError(f"Collection {self._collection!r} is not checked: call ensure() first")
        return self._meta

    def _ensure_payload_indexes(self, existing: set[str]) -> None:
        wanted = [(key, models.PayloadSchemaType.KEYWORD) for key in KEYWORD_FIELDS]
        wanted += [(key, models.PayloadSchemaType.FLOAT) for key in FLOAT_FIELDS]
        with warnings.catch_warnings():
            # qdrant-client's local mode (tests) ignores payload indexes and warns that it does.
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            for key, schema in wanted:
                if key not in existing:
                    self._client.create_payload_index(self._collection, key, schema, wait=True)


__all__ = ["ServerVectorStore"]
