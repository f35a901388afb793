"""What only the server backend does: collection metadata, and failures of the network in between."""

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from memory.config import VectorSettings
from memory.errors import VectorStoreUnavailable
from memory.vectors import IndexMismatch, make_vector_store
from memory.vectors.server import ServerVectorStore
from tests.test_vector_store_contract import DIM, MODEL, point, random_unit


def test_the_model_record_is_collection_metadata_not_a_point() -> None:
    client = QdrantClient(location=":memory:")
    store = ServerVectorStore(client=client, collection="kiok")
    store.ensure(dimension=DIM, model_id=MODEL)
    metadata = client.get_collection("kiok").config.metadata
    assert metadata == {"kiok_index": {"version": 1, "model_id": MODEL, "dimension": DIM}}
    assert store.count() == 0
    store.close()


def foreign_collection(client: QdrantClient, dimension: int) -> None:
    client.create_collection(
        "kiok",
        vectors_config={"dense": models.VectorParams(size=dimension, distance=models.Distance.COSINE)},
        sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )


def test_an_empty_collection_without_a_record_is_adopted() -> None:
    client = QdrantClient(location=":memory:")
    foreign_collection(client, DIM)
    store = ServerVectorStore(client=client, collection="kiok")
    store.ensure(dimension=DIM, model_id=MODEL)
    assert client.get_collection("kiok").config.metadata == {
        "kiok_index": {"version": 1, "model_id": MODEL, "dimension": DIM}
    }
    store.close()


def test_a_collection_with_points_but_no_record_is_not_trusted() -> None:
    client = QdrantClient(location=":memory:")
    foreign_collection(client, DIM)
    vector = random_unit(np.random.default_rng(1))
    client.upsert("kiok", [models.PointStruct(id=point(1, vector).id, vector={"dense": vector}, payload={})])
    store = ServerVectorStore(client=client, collection="kiok", url="http://qdrant:6333")
    with pytest.raises(IndexMismatch, match=r"no record of the embedding model.*kiok reindex"):
        store.ensure(dimension=DIM, model_id=MODEL)
    store.recreate(dimension=DIM, model_id=MODEL)
    assert store.count() == 0
    store.close()


def test_a_collection_of_another_dimension_is_a_mismatch() -> None:
    client = QdrantClient(location=":memory:")
    foreign_collection(client, DIM * 2)
    store = ServerVectorStore(client=client, collection="kiok")
    with pytest.raises(IndexMismatch, match="kiok reindex"):
        store.ensure(dimension=DIM, model_id=MODEL)
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_store(url: str, timeout: float = 2.0, api_key: str | None = None) -> ServerVectorStore:
    settings = VectorSettings(backend="server", url=url, timeout=timeout, api_key=api_key)
    store = make_vector_store(settings, data_dir=Path("/nonexistent"))
    assert isinstance(store, ServerVectorStore)
    return store


def test_an_unreachable_server_names_the_url_and_the_setting() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    store = server_store(url)
    with pytest.raises(VectorStoreUnavailable, match="KIOK_VECTOR__URL") as caught:
        store.ensure(dimension=DIM, model_id=MODEL)
    assert url in str(caught.value)
    store.close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_server_that_never_answers_times_out(silent_server: str) -> None:
    store = server_store(silent_server, timeout=1)
    started = time.monotonic()
    with pytest.raises(VectorStoreUnavailable, match=silent_server):
        store.ensure(dimension=DIM, model_id=MODEL)
    assert time.monotonic() - started < 10
    store.close()


class Unauthorized(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": {"error": "Must provide an API key"}}')

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.mark.filterwarnings("ignore:Api key is used with an insecure connection")
def test_a_refused_api_key_says_which_setting_to_check() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        store = server_store(f"http://127.0.0.1:{server.server_address[1]}", api_key="wrong")
        with pytest.raises(VectorStoreUnavailable, match="KIOK_VECTOR__API_KEY"):
            store.ensure(dimension=DIM, model_id=MODEL)
        store.close()
    finally:
        server.shutdown()
        server.server_close()
