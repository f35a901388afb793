"""One contract for every vector backend: the embedded Qdrant engine (qdrant-edge) and a Qdrant server
(here qdrant-client's local mode, which speaks the same client API). Vectors are built by hand."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qdrant_client import QdrantClient

from memory.vectors import IndexMismatch, ScopeFilter, SparseVector, VectorHit, VectorPoint, VectorStore
from memory.vectors.edge import EdgeVectorStore
from memory.vectors.server import ServerVectorStore

DIM = 16
MODEL = "test-model"
COMMON_TERM = 1  # every test point carries it, so sparse search reaches every point in scope
TICKET_TERM = 987_654_321  # a hashed rare token such as "OPS-4411"
NS = uuid.UUID("6f1c2a52-3c1e-4d8e-9a59-6b1f0f2d7a10")
MODES = ("dense", "sparse", "hybrid")

# qdrant-client's local mode (standing in for the server) is brute force and says so about `hnsw_ef`.
pytestmark = pytest.mark.filterwarnings("ignore:Local mode performs exact")


def pid(name: object) -> str:
    return str(uuid.uuid5(NS, str(name)))


def unit(vector: Any) -> list[float]:
    array = np.asarray(vector, dtype=np.float64)
    return [float(x) for x in array / np.linalg.norm(array)]


def random_unit(rng: np.random.Generator) -> list[float]:
    return unit(rng.normal(size=DIM))


def axis(i: int) -> np.ndarray:
    vector = np.zeros(DIM)
    vector[i] = 1.0
    return vector


def point(
    name: object,
    dense: list[float],
    sparse: SparseVector | None = None,
    **payload: Any,
) -> VectorPoint:
    base: dict[str, Any] = {
        "team": "T1",
        "channel": "C1",
        "thread": None,
        "author": "U1",
        "ts": 1000.0,
        "kind": "message",
        "sources": [f"msg:{name}"],
    }
    base.update(payload)
    return VectorPoint(
        id=pid(name), dense=dense, sparse=sparse or SparseVector([COMMON_TERM], [1.0]), payload=base
    )


def scope(**kwargs: Any) -> ScopeFilter:
    kwargs.setdefault("team", "T1")
    kwargs.setdefault("channels", ("C1",))
    return ScopeFilter(**kwargs)


def ids(hits: list[Any]) -> list[str]:
    return [hit.id for hit in hits]


def ranked(hits: list[VectorHit]) -> list[tuple[float, str]]:
    """(score, id) best first; equal scores (frequent with RRF) in id order, as engines break ties freely."""
    return sorted((round(-hit.score, 4), hit.id) for hit in hits)


def search_all(store: VectorStore, where: ScopeFilter, mode: str, **kwargs: Any) -> list[Any]:
    return store.search(
        dense=kwargs.pop("dense", unit(np.ones(DIM))),
        sparse=kwargs.pop("sparse", SparseVector([COMMON_TERM], [1.0])),
        scope=where,
        limit=kwargs.pop("limit", 100),
        mode=mode,  # type: ignore[arg-type]
        candidates=kwargs.pop("candidates", 100),
        **kwargs,
    )


@dataclass
class Backend:
    """Opens a new handle on the same storage each time, to test close and reopen."""

    name: str
    open: Callable[[], VectorStore]


@pytest.fixture(params=["edge", "server"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "edge":
        return Backend("edge", lambda: EdgeVectorStore(path=tmp_path / "index"))
    return Backend(
        "server",
        lambda: ServerVectorStore(
            client=QdrantClient(path=str(tmp_path / "qdrant-local")), collection="kiok"
        ),
    )


@pytest.fixture(params=["edge", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    """A fresh, ensured store per test."""
    made: VectorStore
    if request.param == "edge":
        made = EdgeVectorStore(path=tmp_path / "index")
    else:
        made = ServerVectorStore(client=QdrantClient(location=":memory:"), collection="kiok")
    made.ensure(dimension=DIM, model_id=MODEL)
    yield made
    made.close()


# --- writes ----------------------------------------------------------------------------------------


def test_upsert_is_idempotent_by_id(store: VectorStore) -> None:
    rng = np.random.default_rng(1)
    points = [point(i, random_unit(rng)) for i in range(5)]
    store.upsert(points)
    store.upsert(points)
    assert store.count() == 5

    store.upsert([point(0, points[0].dense, channel="C1", kind="summary")])
    assert store.count() == 5
    assert store.count(scope(kinds=("summary",))) == 1


def test_count_with_and_without_scope(store: VectorStore) -> None:
    rng = np.random.default_rng(2)
    store.upsert([point(i, random_unit(rng), channel=f"C{i % 3}") for i in range(9)])
    assert store.count() == 9
    assert store.count(scope(channels=("C0",))) == 3
    assert store.count(scope(channels=("C0", "C2"))) == 6
    assert store.count(scope(team="T2")) == 0


def test_payload_round_trips(store: VectorStore) -> None:
    payload = {
        "team": "T9",
        "channel": "C9",
        "thread": "1700000000.000100",
        "author": "U42",
        "ts": 1700000123.456789,
        "kind": "message",
        "sources": ["C9/1700000123.456789", "C9/1700000000.000100"],
    }
    vector = random_unit(np.random.default_rng(3))
    store.upsert([VectorPoint(id=pid("p"), dense=vector, sparse=SparseVector([7], [0.5]), payload=payload)])
    for mode in MODES:
        hits = search_all(
            store, scope(team="T9", channels=("C9",)), mode, dense=vector, sparse=SparseVector([7], [1.0])
        )
        assert ids(hits) == [pid("p")]
        assert hits[0].payload == payload


def test_numpy_vectors_are_accepted(store: VectorStore) -> None:
    vector = np.asarray(random_unit(np.random.default_rng(11)), dtype=np.float32)
    store.upsert([point("np", vector)])  # type: ignore[arg-type]
    hits = store.search(dense=vector, sparse=None, scope=scope(), limit=1, mode="dense")  # type: ignore[arg-type]
    assert ids(hits) == [pid("np")]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_upsert_rejects_bad_points(store: VectorStore) -> None:
    good = point("x", random_unit(np.random.default_rng(4)))
    with pytest.raises(ValueError, match="dimensions"):
        store.upsert([point("y", [1.0, 0.0])])
    with pytest.raises(ValueError, match="UUID"):
        store.upsert(
            [VectorPoint(id="not-a-uuid", dense=good.dense, sparse=good.sparse, payload=good.payload)]
        )
    with pytest.raises(ValueError, match="channel"):
        store.upsert([point("z", good.dense, channel=None)])
    assert store.count() == 0


def test_delete_by_ids_and_by_scope(store: VectorStore) -> None:
    rng = np.random.default_rng(5)
    store.upsert([point(i, random_unit(rng), channel="C1" if i < 4 else "C2") for i in range(8)])

    store.delete(ids=[pid(0), pid(1), pid("never-stored")])
    assert store.count() == 6
    store.delete(ids=[])
    assert store.count() == 6

    store.delete(scope=scope(channels=("C2",)))
    assert store.count() == 2
    assert set(ids(search_all(store, scope(channels=("C1", "C2")), "dense"))) == {pid(2), pid(3)}

    with pytest.raises(ValueError, match="exactly one"):
        store.delete()
    with pytest.raises(ValueError, match="exactly one"):
        store.delete(ids=[pid(2)], scope=scope())


# --- filters ---------------------------------------------------------------------------------------

FILTER_ROWS = [
    # name, team, channel, thread, author, ts, kind
    ("a", "T1", "C1", None, "U1", 100.0, "message"),
    ("b", "T1", "C1", "th1", "U2", 200.0, "message"),
    ("c", "T1", "C1", "th1", "U1", 300.0, "summary"),
    ("d", "T1", "C2", None, "U1", 400.0, "message"),
    ("e", "T1", "C2", "th2", "U2", 500.0, "fact"),
    ("f", "T1", "C3", None, "U1", 600.0, "message"),
    ("g", "T2", "C1", None, "U1", 700.0, "message"),
    ("h", "T2", "C2", "th1", "U2", 800.0, "message"),
]

FILTER_CASES = [
    (scope(), {"a", "b", "c"}),
    (scope(channels=("C2",)), {"d", "e"}),
    (scope(channels=("C1", "C3")), {"a", "b", "c", "f"}),
    (scope(team="T2", channels=("C1", "C2")), {"g", "h"}),
    (scope(thread="th1"), {"b", "c"}),
    (scope(author="U2", channels=("C1", "C2")), {"b", "e"}),
    (scope(ts_from=200.0, ts_to=400.0, channels=("C1", "C2")), {"b", "c", "d"}),
    (scope(ts_from=450.0, channels=("C1", "C2", "C3")), {"e", "f"}),
    (scope(ts_to=100.0), {"a"}),
    (scope(kinds=("summary", "fact"), channels=("C1", "C2")), {"c", "e"}),
    (scope(channels=("C9",)), set()),
    (scope(channels=()), set()),
    (scope(kinds=()), set()),
]


@pytest.mark.parametrize("mode", MODES)
def test_scope_filters(store: VectorStore, mode: str) -> None:
    rng = np.random.default_rng(6)
    store.upsert(
        [
            point(name, random_unit(rng), team=team, channel=ch, thread=th, author=au, ts=ts, kind=kind)
            for name, team, ch, th, au, ts, kind in FILTER_ROWS
        ]
    )
    for where, expected in FILTER_CASES:
        assert set(ids(search_all(store, where, mode))) == {pid(n) for n in expected}, where
        assert store.count(where) == len(expected), where


@pytest.mark.parametrize("mode", MODES)
def test_a_point_outside_the_scope_is_never_returned(store: VectorStore, mode: str) -> None:
    rng = np.random.default_rng(7)
    secret = random_unit(rng)
    store.upsert(
        [
            point("secret", secret, channel="B", sparse=SparseVector([TICKET_TERM], [5.0])),
            point("other-team", secret, team="T2", channel="A", sparse=SparseVector([TICKET_TERM], [5.0])),
            *[point(i, random_unit(rng), channel="A") for i in range(5)],
        ]
    )
    hits = search_all(
        store, scope(channels=("A",)), mode, dense=secret, sparse=SparseVector([TICKET_TERM], [1.0])
    )
    assert pid("secret") not in ids(hits)
    assert pid("other-team") not in ids(hits)


# --- ranking ---------------------------------------------------------------------------------------


def test_dense_ranks_nearest_first_with_higher_score_more_similar(store: VectorStore) -> None:
    query = axis(0)
    store.upsert([point(i, unit(query + 0.3 * i * axis(1 + i))) for i in range(6)])  # cosine 1/sqrt(1+.09i²)

    hits = store.search(dense=list(query), sparse=None, scope=scope(), limit=6, mode="dense")
    assert ids(hits) == [pid(i) for i in range(6)]
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(1.0, abs=1e-5)  # cosine of identical directions


def test_sparse_finds_a_rare_exact_term_that_dense_misses(store: VectorStore) -> None:
    rng = np.random.default_rng(9)
    query = np.asarray(random_unit(rng))
    points = [
        point(
            i,
            unit(query + rng.normal(scale=0.5, size=DIM)),
            sparse=SparseVector([COMMON_TERM, 10 + i], [1.0, 1.0]),
        )
        for i in range(20)
    ]
    ticket = point("ticket", unit(-query), sparse=SparseVector([COMMON_TERM, TICKET_TERM], [1.0, 1.0]))
    store.upsert([*points, ticket])
    sparse_query = SparseVector([TICKET_TERM, 55_555], [1.0, 1.0])

    dense_hits = store.search(dense=list(query), sparse=None, scope=scope(), limit=5, mode="dense")
    assert pid("ticket") not in ids(dense_hits)
    sparse_hits = store.search(dense=None, sparse=sparse_query, scope=scope(), limit=5, mode="sparse")
    assert ids(sparse_hits) == [pid("ticket")]
    assert sparse_hits[0].score > 0
    hybrid_hits = store.search(dense=list(query), sparse=sparse_query, scope=scope(), limit=5, candidates=5)
    assert pid("ticket") in ids(hybrid_hits)


def rrf_points() -> list[VectorPoint]:
    """Dense candidates (3) rank A, X, B; sparse candidates rank Y, Z, B; A, X never match the term."""
    q = axis(0)
    return [
        point("A", unit(q), sparse=SparseVector([500], [1.0])),
        point("X", unit(q + 0.3 * axis(1)), sparse=SparseVector([501], [1.0])),
        point("B", unit(q + 0.6 * axis(2)), sparse=SparseVector([COMMON_TERM], [0.5])),
        point("Y", unit(-q + 0.1 * axis(3)), sparse=SparseVector([COMMON_TERM], [2.0])),
        point("Z", unit(-q + 0.2 * axis(4)), sparse=SparseVector([COMMON_TERM], [1.0])),
    ]


def hybrid(store: VectorStore, *, rrf_k: int, limit: int = 10) -> list[Any]:
    return store.search(
        dense=unit(axis(0)),
        sparse=SparseVector([COMMON_TERM], [1.0]),
        scope=scope(),
        limit=limit,
        rrf_k=rrf_k,
        candidates=3,
    )


def test_hybrid_returns_the_union_ranked_by_reciprocal_rank_fusion(store: VectorStore) -> None:
    store.upsert(rrf_points())
    hits = hybrid(store, rrf_k=60)
    # score = sum over lists of 1 / (k + rank), rank counted from 0, as the Qdrant engine does
    expected = {"A": 1 / 60, "X": 1 / 61, "B": 2 / 62, "Y": 1 / 60, "Z": 1 / 61}
    assert set(ids(hits)) == {pid(n) for n in expected}
    assert ids(hits)[0] == pid("B")
    for hit in hits:
        name = next(n for n in expected if pid(n) == hit.id)
        assert hit.score == pytest.approx(expected[name], rel=1e-4)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_the_rrf_constant_changes_the_order(store: VectorStore) -> None:
    store.upsert(rrf_points())
    assert ids(hybrid(store, rrf_k=60, limit=1)) == [pid("B")]  # agreement of both lists wins
    top_small_k = ids(hybrid(store, rrf_k=1, limit=3))
    assert top_small_k[0] in {pid("A"), pid("Y")}  # a single first place wins
    assert top_small_k[2] == pid("B")


def test_empty_sparse_query(store: VectorStore) -> None:
    store.upsert(rrf_points())
    empty = SparseVector([], [])
    assert store.search(dense=None, sparse=empty, scope=scope(), limit=5, mode="sparse") == []
    dense = store.search(dense=unit(axis(0)), sparse=None, scope=scope(), limit=5, mode="dense")
    fused = store.search(dense=unit(axis(0)), sparse=empty, scope=scope(), limit=5)
    assert ids(fused) == ids(dense)


def test_search_rejects_missing_or_wrong_vectors(store: VectorStore) -> None:
    with pytest.raises(ValueError, match="sparse"):
        store.search(dense=unit(axis(0)), sparse=None, scope=scope(), limit=5)
    with pytest.raises(ValueError, match="dense"):
        store.search(dense=None, sparse=SparseVector([1], [1.0]), scope=scope(), limit=5, mode="dense")
    with pytest.raises(ValueError, match="dimensions"):
        store.search(dense=[1.0, 0.0], sparse=None, scope=scope(), limit=5, mode="dense")
    with pytest.raises(ValueError, match="mode"):
        store.search(dense=unit(axis(0)), sparse=None, scope=scope(), limit=5, mode="bm25")  # type: ignore[arg-type]


# --- index metadata and lifecycle --------------------------------------------------------------------


def test_ensure_twice_is_fine(store: VectorStore) -> None:
    store.upsert([point(1, unit(axis(0)))])
    store.ensure(dimension=DIM, model_id=MODEL)
    assert store.count() == 1


@pytest.mark.parametrize(("dimension", "model_id"), [(DIM * 2, MODEL), (DIM, "other-model")])
def test_ensure_with_another_model_raises_index_mismatch(
    store: VectorStore, dimension: int, model_id: str
) -> None:
    with pytest.raises(IndexMismatch, match="kiok reindex") as caught:
        store.ensure(dimension=dimension, model_id=model_id)
    message = str(caught.value)
    assert f"{MODEL} (dim {DIM})" in message
    assert f"{model_id} (dim {dimension})" in message


def test_data_and_model_record_survive_close_and_reopen(backend: Backend) -> None:
    rng = np.random.default_rng(10)
    points = [point(i, random_unit(rng), sparse=SparseVector([COMMON_TERM], [1.0 + i])) for i in range(10)]
    first = backend.open()
    first.ensure(dimension=DIM, model_id=MODEL)
    first.upsert(points)
    before = {m: search_all(first, scope(), m, dense=points[3].dense) for m in MODES}
    first.close()

    second = backend.open()
    with pytest.raises(IndexMismatch, match="kiok reindex"):
        second.ensure(dimension=DIM + 1, model_id="bigger-model")
    with pytest.raises(IndexMismatch, match="kiok reindex"):
        second.ensure(dimension=DIM, model_id="other-model")
    second.ensure(dimension=DIM, model_id=MODEL)
    assert second.count() == 10
    for mode in MODES:
        after = search_all(second, scope(), mode, dense=points[3].dense)
        assert ranked(after) == ranked(before[mode])
        assert {h.id: h.payload for h in after} == {h.id: h.payload for h in before[mode]}
    second.close()


def test_recreate_drops_points_and_switches_model(store: VectorStore) -> None:
    store.upsert([point(i, unit(axis(i))) for i in range(3)])
    store.recreate(dimension=8, model_id="small-model")
    assert store.count() == 0
    store.ensure(dimension=8, model_id="small-model")
    store.upsert([point("new", [1.0] + [0.0] * 7)])
    assert store.count() == 1
    with pytest.raises(IndexMismatch):
        store.ensure(dimension=DIM, model_id=MODEL)


def test_use_before_ensure_is_an_error(backend: Backend) -> None:
    fresh = backend.open()
    with pytest.raises(RuntimeError, match="ensure"):
        fresh.count()
    fresh.close()
