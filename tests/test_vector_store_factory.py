"""`make_vector_store` picks the backend from settings and says what to set when it cannot."""

from pathlib import Path

import pytest

from memory.config import VectorSettings
from memory.vectors import make_vector_store
from memory.vectors.edge import EdgeVectorStore
from memory.vectors.server import ServerVectorStore


def test_embedded_lives_under_the_data_dir_by_default(tmp_path: Path) -> None:
    store = make_vector_store(VectorSettings(), data_dir=tmp_path)
    assert isinstance(store, EdgeVectorStore)
    assert store.path == tmp_path / "qdrant" / "kiok"
    assert not store.path.exists()  # nothing is created before ensure()


def test_embedded_honours_path_and_collection(tmp_path: Path) -> None:
    settings = VectorSettings(path=tmp_path / "elsewhere", collection="team-a")
    store = make_vector_store(settings, data_dir=tmp_path / "data")
    assert isinstance(store, EdgeVectorStore)
    assert store.path == tmp_path / "elsewhere" / "team-a"


def test_server_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="KIOK_VECTOR__URL"):
        make_vector_store(VectorSettings(backend="server"), data_dir=tmp_path)


def test_server_builds_a_client_from_settings(tmp_path: Path) -> None:
    settings = VectorSettings(backend="server", url="http://127.0.0.1:9", timeout=2.5)
    store = make_vector_store(settings, data_dir=tmp_path)
    assert isinstance(store, ServerVectorStore)
    store.close()


def test_an_unknown_backend_lists_the_valid_ones(tmp_path: Path) -> None:
    settings = VectorSettings.model_construct(backend="faiss")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="embedded, server"):
        make_vector_store(settings, data_dir=tmp_path)
