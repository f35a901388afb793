"""Database engine creation and schema migrations (Alembic, run programmatically)."""

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from memory import journal, summary_models, surface_models  # noqa: F401  (every table known to Alembic)
from memory.errors import DatabaseUnavailable, MigrationRequired

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_db_engine(url: str, *, connect_timeout: float = 10.0, restart_wait: float = 30.0) -> Engine:
    """An engine for `url`. SQLite gets WAL and a busy timeout so several threads can write. A server
    that was reached once and then refuses connections (restarting) is retried for `restart_wait`
    seconds before an error, so a database restart delays work instead of failing it; stale pooled
    connections are replaced (`pool_pre_ping`)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            f"KIOK_DATABASE_URL is not a database URL: {url!r}. "
            "Use sqlite:////path/to/kiok.db or postgresql+psycopg://user@host/db"
        ) from None
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": connect_timeout, "check_same_thread": False}
    elif parsed.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": max(1, int(connect_timeout))}
    try:
        engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseUnavailable(
            f"No driver for {parsed.drivername!r} ({exc}). For PostgreSQL install the extra: "
            "pip install 'kiok[postgres]' and use postgresql+psycopg://..."
        ) from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine, "do_connect", _RestartWait(restart_wait))
    return engine


class _RestartWait:
    """`do_connect` hook: once a first connection succeeded, failed connects are retried with backoff
    for up to `seconds` (a restart); before that they fail at once (a wrong URL is reported quickly)."""

    def __init__(self, seconds: float) -> None:
        self._seconds, self._reached = seconds, False

    def __call__(self, dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        deadline, delay = time.monotonic() + self._seconds, 0.05
        while True:
            try:
                connection = dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError:
                if not self._reached or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            self._reached = True
            return connection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration this version of Kiok ships."""
    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseUnavailable(_describe(engine, exc)) from None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration. Returns (revision before, revision after)."""
    before = current_revision(engine)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except OperationalError as exc:
        raise DatabaseUnavailable(_describe(engine, exc)) from None
    return before, head_revision()


def require_current(engine: Engine) -> None:
    """Fail with a fix-it message unless the schema is at head."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise MigrationRequired(
            f"The database is at migration {current or 'none'}, this Kiok needs {head}: run `kiok migrate`."
        )


def _describe(engine: Engine, exc: OperationalError) -> str:
    where = engine.url.render_as_string(hide_password=True)
    return f"Cannot open the database {where}: {exc.orig}. Check KIOK_DATABASE_URL and that the server is up."


__all__ = ["create_db_engine", "current_revision", "head_revision", "require_current", "upgrade"]
