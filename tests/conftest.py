"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), no proxies."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.bootstrap import build_memory
from app.settings import Settings
from memory.config import BUNDLED_MINILM, EmbeddingSettings
from memory.db import create_db_engine, upgrade
from memory.embeddings import make_embedder
from memory.embeddings.base import Embedder
from memory.service import MemoryService
from memory.store import MessageStore

pytest_plugins = ["tests.fakes.llm_fixtures"]

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack's Socket Mode clients ignore NO_PROXY: loopback tests must not see proxy variables."""
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)


def _postgres_database() -> Iterator[str]:
    """A throwaway database on the server named by TEST_DATABASE_URL, dropped afterwards."""
    admin_url = os.environ["TEST_DATABASE_URL"]
    name = f"kiok_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kiok.db'}"
        return
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it to the local PostgreSQL)")
    yield from _postgres_database()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_db_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine: Engine) -> MessageStore:
    return MessageStore(engine)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The bundled MiniLM, loaded once per test session (real weights, no download)."""
    return make_embedder(EmbeddingSettings(model=BUNDLED_MINILM))


@pytest.fixture
def memory_settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=db_url,
        embedding={"model": BUNDLED_MINILM},
    )


@pytest.fixture
def memory(memory_settings: Settings, engine: Engine, embedder: Embedder) -> Iterator[MemoryService]:
    """The real memory service: SQL (SQLite and PostgreSQL), bundled MiniLM, embedded Qdrant engine."""
    service = build_memory(memory_settings, MessageStore(engine), embedder=embedder)
    yield service
    service.indexer.close()
