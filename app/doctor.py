"""`kiok doctor`: check every dependency Kiok needs and say how to fix what is wrong."""

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select

from app.bolt_app import make_web_client
from app.settings import Settings
from memory.db import create_db_engine, current_revision, head_revision
from memory.errors import StoreError, VectorStoreUnavailable
from memory.models import Message
from memory.vectors import make_vector_store
from memory.vectors.edge import EdgeVectorStore
from summarizer.errors import LLMError
from summarizer.llm import make_llm_client


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(settings: Settings) -> list[Check]:
    """Every check, each isolated so one failure does not hide the others."""
    checks: list[Check] = []
    for name, fn in _CHECKS:
        try:
            checks.extend(fn(settings))
        except Exception as exc:  # a doctor must report, not crash
            checks.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
    return checks


def _slack(settings: Settings) -> list[Check]:
    missing = settings.slack.missing()
    if missing:
        return [Check("slack", False, problem) for problem in missing]
    client = make_web_client(settings)
    assert settings.slack.app_token is not None
    return [_auth_test(client), _app_token(client, settings.slack.app_token.get_secret_value())]


def _auth_test(client: WebClient) -> Check:
    try:
        resp = client.auth_test()
    except SlackApiError as exc:
        return Check(
            "slack bot token",
            False,
            f"auth.test failed ({exc.response.get('error')}): check KIOK_SLACK__BOT_TOKEN "
            "and that the app is installed to the workspace",
        )
    except OSError as exc:
        return Check("slack bot token", False, f"cannot reach {client.base_url}: {exc} (KIOK_SLACK__API_URL)")
    return Check("slack bot token", True, f"bot @{resp.get('user')} in team {resp.get('team')}")


def _app_token(client: WebClient, app_token: str) -> Check:
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        return Check(
            "slack app token",
            False,
            f"apps.connections.open failed ({exc.response.get('error')}): check KIOK_SLACK__APP_TOKEN "
            "has the connections:write scope and Socket Mode is enabled for the app",
        )
    except OSError as exc:
        return Check("slack app token", False, f"cannot reach {client.base_url}: {exc}")
    return Check("slack app token", True, "Socket Mode connection can be opened")


def _llm(settings: Settings) -> list[Check]:
    label = f"llm ({settings.llm.provider} at {settings.llm.url})"
    try:
        info = make_llm_client(settings.llm).model_info()
    except LLMError as exc:
        return [Check(label, False, str(exc))]
    return [Check(label, True, f"model {info.name}, context window {info.context_length} tokens")]


def _database(settings: Settings) -> list[Check]:
    engine = create_db_engine(settings.db_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        current, head = current_revision(engine), head_revision()
    except StoreError as exc:
        return [Check("database", False, str(exc))]
    finally:
        engine.dispose()
    if current != head:
        return [
            Check(
                "database",
                False,
                f"{where} is at migration {current or 'none'}, needs {head}: "
                "run `kiok migrate` (`kiok run` also migrates)",
            )
        ]
    return [Check("database", True, f"{where} at migration {head}")]


def _data_dir(settings: Settings) -> list[Check]:
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path)
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        return [Check("data directory", False, f"{path} is not writable ({exc}); set KIOK_DATA_DIR")]
    return [Check("data directory", True, str(path))]


def _vector_index(settings: Settings) -> list[Check]:
    """The embedded index opens and holds at least every message SQL marks as indexed."""
    if settings.vector.backend != "embedded":
        return []
    name = "vector index"
    engine = create_db_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            indexed = int(
                conn.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.index_hash.is_not(None), Message.deleted_at.is_(None))
                )
                or 0
            )
    except Exception:
        return []  # the database check says why
    finally:
        engine.dispose()
    vectors = make_vector_store(settings.vector, data_dir=settings.data_dir)
    assert isinstance(vectors, EdgeVectorStore)
    try:
        meta = vectors.stored_meta()
        if meta is not None:
            vectors.ensure(dimension=meta.dimension, model_id=meta.model_id)
        points = vectors.count() if meta is not None else 0
    except VectorStoreUnavailable as exc:
        if "in use by another process" in str(exc):
            return [Check(name, True, "held by the running Kiok (stop it to check the index)")]
        return [Check(name, False, f"{exc} Run `kiok reindex` to rebuild it from the database.")]
    finally:
        vectors.close()
    if points < indexed:
        return [
            Check(
                name,
                False,
                f"{vectors.path} holds {points} points but the database marks {indexed} messages indexed "
                "(the index was deleted or damaged): run `kiok reindex` to rebuild it from the database",
            )
        ]
    return [Check(name, True, f"{points} points for {indexed} indexed messages")]


_CHECKS: list[tuple[str, Callable[[Settings], list[Check]]]] = [
    ("slack", _slack),
    ("llm", _llm),
    ("database", _database),
    ("data directory", _data_dir),
    ("vector index", _vector_index),
]

__all__ = ["Check", "run_checks"]
