"""What only the embedded backend (qdrant-edge) does: files on disk, optimize(), threads, bulk loads."""

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from memory.errors import VectorStoreUnavailable
from memory.vectors import IndexMismatch, ScopeFilter, SparseVector, VectorPoint
from memory.vectors.edge import META_FILE, EdgeVectorStore
from tests.test_vector_store_contract import DIM, MODEL, pid, point, random_unit, ranked, scope


def clustered(rng: np.random.Generator, n: int, dim: int, centres: int = 50) -> np.ndarray:
    """Unit vectors around a few centres, closer to real embeddings than uniform noise."""
    centre = rng.normal(size=(centres, dim))
    vectors = centre[rng.integers(0, centres, size=n)] + 0.35 * rng.normal(size=(n, dim))
    unit_rows: np.ndarray = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return unit_rows


def sparse_for(rng: np.random.Generator, vocabulary: int = 5000) -> SparseVector:
    """Zipf-like term ids, the shape hashed BM25 terms have."""
    terms = sorted({int(t) % vocabulary for t in rng.zipf(1.3, size=12)})
    return SparseVector(terms, [float(v) for v in rng.uniform(0.5, 2.0, size=len(terms))])


def bulk_points(rng: np.random.Generator, n: int, dim: int) -> list[VectorPoint]:
    vectors = clustered(rng, n, dim)
    return [
        point(f"bulk-{i}", vectors[i].tolist(), sparse_for(rng), channel=f"C{i % 20:02d}", ts=1.7e9 + i)
        for i in range(n)
    ]


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[EdgeVectorStore]:
    store = EdgeVectorStore(path=tmp_path / "index")
    store.ensure(dimension=DIM, model_id=MODEL)
    yield store
    store.close()


def test_the_model_record_is_a_json_file_in_the_shard_directory(edge: EdgeVectorStore) -> None:
    record = json.loads((edge.path / META_FILE).read_text())
    assert record == {"kiok_index": {"version": 1, "model_id": MODEL, "dimension": DIM}}


def test_a_shard_with_data_but_no_model_record_is_not_trusted(edge: EdgeVectorStore) -> None:
    edge.upsert([point(1, random_unit(np.random.default_rng(1)))])
    edge.close()
    (edge.path / META_FILE).unlink()
    with pytest.raises(IndexMismatch, match="no record of the embedding model"):
        edge.ensure(dimension=DIM, model_id=MODEL)
    edge.recreate(dimension=DIM, model_id=MODEL)
    assert edge.count() == 0


def test_a_second_handle_on_an_open_shard_is_refused(edge: EdgeVectorStore) -> None:
    with pytest.raises(VectorStoreUnavailable, match="in use by another process"):
        EdgeVectorStore(path=edge.path).ensure(dimension=DIM, model_id=MODEL)
    edge.upsert([point(1, random_unit(np.random.default_rng(0)))])
    with pytest.raises(VectorStoreUnavailable, match="in use by another process"):
        EdgeVectorStore(path=edge.path).recreate(dimension=DIM, model_id=MODEL)
    assert edge.count() == 1


def test_recreate_refuses_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    store = EdgeVectorStore(path=tmp_path)
    with pytest.raises(RuntimeError, match="Refusing to delete"):
        store.recreate(dimension=DIM, model_id=MODEL)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_close_is_idempotent_and_ensure_reopens(edge: EdgeVectorStore) -> None:
    edge.upsert([point(1, random_unit(np.random.default_rng(2)))])
    edge.close()
    edge.close()
    with pytest.raises(RuntimeError, match="ensure"):
        edge.count()
    edge.ensure(dimension=DIM, model_id=MODEL)
    assert edge.count() == 1


def test_optimize_keeps_results_identical(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    store = EdgeVectorStore(path=tmp_path / "index", indexing_threshold_kb=1)  # HNSW even for tiny segments
    store.ensure(dimension=DIM, model_id=MODEL)
    points = bulk_points(rng, 3000, DIM)
    store.upsert(points)
    everywhere = scope(channels=tuple(f"C{i:02d}" for i in range(20)))
    queries = [(points[i].dense, points[i].sparse) for i in (15, 999, 2500)]

    def run() -> list[list[tuple[float, str]]]:
        return [
            # hybrid: the whole fused list, since RRF ties at the cut-off may fall either way
            ranked(store.search(dense=d, sparse=s, scope=where, limit=20, mode=mode, candidates=10))
            for where in (scope(channels=("C03",)), everywhere)
            for d, s in queries
            for mode in ("dense", "sparse", "hybrid")
        ]

    before = run()
    store.optimize()
    assert run() == before
    store.close()
    store.ensure(dimension=DIM, model_id=MODEL)
    assert run() == before

    # Deleted points stay gone through optimize (which also drops them from the sparse IDF statistics).
    deleted = {p.id for p in points[:100]}
    store.delete(ids=sorted(deleted))
    store.optimize()
    assert store.count() == 2900
    for d, s in queries:
        hits = store.search(dense=d, sparse=s, scope=everywhere, limit=200, candidates=200)
        assert not deleted & {h.id for h in hits}
    store.close()


def test_bulk_load_of_20k_points_and_filtered_search(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    dim = 384
    store = EdgeVectorStore(path=tmp_path / "index")
    store.ensure(dimension=dim, model_id="bulk-model")
    points = bulk_points(rng, 20_000, dim)
    started = time.perf_counter()
    store.upsert(points)
    assert store.count() == 20_000
    assert store.count(scope(channels=("C07",))) == 1000
    for i in range(0, 20_000, 997):
        where = scope(channels=(points[i].payload["channel"], "C99"), ts_from=points[i].payload["ts"] - 500)
        hits = store.search(dense=points[i].dense, sparse=points[i].sparse, scope=where, limit=5)
        assert hits[0].id == points[i].id
        assert all(h.payload["channel"] == points[i].payload["channel"] for h in hits)
        assert all(h.payload["ts"] >= points[i].payload["ts"] - 500 for h in hits)
    assert time.perf_counter() - started < 30  # about 3 s on 2 cores; generous for loaded CI machines
    store.close()


def test_threads_may_share_one_store(edge: EdgeVectorStore) -> None:
    rng = np.random.default_rng(5)
    vectors = [random_unit(rng) for _ in range(400)]
    where = ScopeFilter(team="T1", channels=("C0", "C1"))

    def write(start: int) -> None:
        for i in range(start, start + 200, 10):
            edge.upsert([point(j, vectors[j], channel=f"C{j % 4}") for j in range(i, i + 10)])

    def read(_: int) -> None:
        for i in range(100):
            edge.search(dense=vectors[i], sparse=SparseVector([1], [1.0]), scope=where, limit=5)
            edge.count(where)

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(write, 0), pool.submit(write, 200), pool.submit(read, 0), pool.submit(read, 1)]
        for future in futures:
            future.result()
    assert edge.count() == 400
    assert edge.count(ScopeFilter(team="T1", channels=("C0",))) == 100
    hits = edge.search(dense=vectors[7], sparse=None, scope=scope(channels=("C3",)), limit=1, mode="dense")
    assert [h.id for h in hits] == [pid(7)]
