"""A durable job queue in SQL: background work survives restarts and crashes and runs once per key.

A job is named by `(kind, key)` — the natural key of the work, such as a channel and a time range — so
enqueueing is idempotent. A worker claims a job with a lease that it extends while the job runs; when a
worker dies its lease runs out and another worker takes the job over. Claiming is one statement:
`UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING ...` on PostgreSQL, so concurrent
processes never take the same job; on SQLite the same statement runs under SQLite's single write lock.
Every later state change is a compare-and-set on (state, lease owner, attempt number), so a worker whose
lease was taken over can no longer complete or fail the job.

A job's handler may run again after a crash (the LLM call may repeat). What it stores must therefore be
written through `complete(..., write=...)`, in the transaction that marks the job done: stored once.
Leases compare against this process's clock; the machines running workers need synchronized clocks.
"""

import json
import logging
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Executable,
    RowMapping,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased, sessionmaker

from memory.errors import DatabaseUnavailable
from memory.models import JobRow, as_utc, utcnow

log = logging.getLogger(__name__)

STATES = ("queued", "running", "done", "failed")
MAX_ERROR_CHARS = 4000
LEASE_EXPIRED = "the previous worker's lease expired (it crashed, hung or lost the database)"

Clock = Callable[[], datetime]
Writer = Callable[[Session], None]
"""Stores a job's outcome inside the transaction that marks the job done (see `JobQueue.complete`)."""

_COLUMNS = tuple(JobRow.__table__.c)


@dataclass(frozen=True)
class Job:
    """A job as stored. `attempts` counts runs started (crashed ones included), `deferrals` those runs
    that ended in a transient error; only `attempts - deferrals` counts towards `max_attempts`."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    state: str  # queued | running | done | failed
    attempts: int
    deferrals: int
    max_attempts: int
    run_after: datetime
    lease_owner: str | None
    lease_expires: datetime | None
    last_error: str
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


def backoff_delay(
    attempt: int, *, base: float = 5.0, cap: float = 900.0, rng: random.Random | None = None
) -> float:
    """Seconds before retrying after run number `attempt` (1-based): `base·2^(attempt-1)` capped at `cap`,
    with "equal jitter" (between half and all of it) so that jobs failing together do not retry together."""
    delay = min(cap, base * 2.0 ** min(max(attempt - 1, 0), 40))
    return delay * (0.5 + 0.5 * (rng or random).random())


class JobQueue:
    """Jobs in the `jobs` table. Thread- and process-safe: each call is its own short transaction."""

    def __init__(
        self,
        engine: Engine,
        *,
        lease_seconds: float = 300.0,
        backoff_base: float = 5.0,
        backoff_cap: float = 900.0,
        defer_cap: float = 120.0,
        clock: Clock = utcnow,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lease = timedelta(seconds=lease_seconds)
        self._backoff_base, self._backoff_cap = backoff_base, backoff_cap
        # A deferral only probes a dependency (one refused connection), so it may come back often: after an
        # hour-long LLM outage the jobs resume within `defer_cap` seconds, not within another quarter hour.
        self._defer_cap = min(defer_cap, backoff_cap)
        self._clock = clock

    @property
    def lease_seconds(self) -> float:
        return self._lease.total_seconds()

    def now(self) -> datetime:
        return as_utc(self._clock())

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            where = self._engine.url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"Database {where} failed: {exc.orig}") from None

    # --- producers ------------------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        key: str,
        payload: Mapping[str, Any] | None = None,
        *,
        run_after: datetime | None = None,
        max_attempts: int = 8,
    ) -> bool:
        """Queue the work `(kind, key)`. False when that job already exists, whatever its state."""
        if not 0 < len(kind) <= 64 or not 0 < len(key) <= 255:
            raise ValueError(f"job kind must have 1-64 characters and key 1-255: {kind!r}, {key!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        now = self.now()
        row = JobRow(
            kind=kind,
            key=key,
            payload=_dump(payload or {}),
            state="queued",
            attempts=0,
            deferrals=0,
            max_attempts=max_attempts,
            run_after=now if run_after is None else as_utc(run_after),
            last_error="",
            created_at=now,
            updated_at=now,
        )
        try:
            with self._session() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    # --- workers --------------------------------------------------------------------------------------

    def claim(self, worker_id: str, *, kinds: Iterable[str] | None = None) -> Job | None:
        """Take the next due job (or one whose worker's lease expired) and lease it to `worker_id`.

        Due jobs go oldest `run_after` first, so jobs taken over from dead workers come early. A job taken
        over after its last allowed attempt is marked failed instead (a job that kills its worker).
        """
        if not 0 < len(worker_id) <= 128:
            raise ValueError(f"worker_id must have 1-128 characters: {worker_id!r}")
        kinds = None if kinds is None else list(kinds)
        while True:
            now = self.now()
            with self._session() as session:
                conn = session.connection()
                row = conn.execute(self._claim_statement(worker_id, kinds, now)).mappings().first()
                if row is None:
                    return None
                job = _job(row)
                if job.attempts - job.deferrals <= job.max_attempts:
                    return job
                conn.execute(
                    update(JobRow)
                    .where(JobRow.id == job.id)
                    .values(state="failed", finished_at=now, lease_expires=None, updated_at=now)
                )
            log.warning("job %s/%s failed: %s on its last attempt", job.kind, job.key, LEASE_EXPIRED)

    def _claim_statement(self, worker_id: str, kinds: list[str] | None, now: datetime) -> Executable:
        other = aliased(JobRow)
        due = or_(
            and_(other.state == "queued", other.run_after <= now),
            and_(other.state == "running", other.lease_expires < now),
        )
        pick = select(other.id).where(due)
        if kinds is not None:
            pick = pick.where(other.kind.in_(kinds))
        pick = pick.order_by(other.run_after, other.id).limit(1).with_for_update(skip_locked=True)
        taken_over = JobRow.state == "running"
        return (
            update(JobRow)
            .where(JobRow.id == pick.scalar_subquery())
            .values(
                state="running",
                attempts=JobRow.attempts + 1,
                lease_owner=worker_id,
                lease_expires=now + self._lease,
                last_error=case((taken_over, literal(LEASE_EXPIRED)), else_=JobRow.last_error),
                updated_at=now,
            )
            .returning(*_COLUMNS)
        )

    def heartbeat(self, job: Job, worker_id: str) -> bool:
        """Extend the lease of a running job. False when `worker_id` no longer holds it."""
        now = self.now()
        return self._update_held(job, worker_id, lease_expires=now + self._lease, updated_at=now)

    def complete(
        self,
        job: Job,
        worker_id: str,
        result: Mapping[str, Any] | None = None,
        *,
        write: Writer | None = None,
    ) -> bool:
        """Mark the job done and run `write` in the same transaction. False (and nothing written) when
        `worker_id` no longer holds the job's lease: another worker took it over and will store it."""
        now = self.now()
        with self._session() as session:
            marked = session.connection().execute(
                update(JobRow)
                .where(_held(job, worker_id))
                .values(
                    state="done",
                    result=_dump(result or {}),
                    lease_expires=None,
                    finished_at=now,
                    updated_at=now,
                )
            )
            if marked.rowcount != 1:
                return False
            if write is not None:
                write(session)
        return True

    def fail(self, job: Job, worker_id: str, error: str, *, retryable: bool = True) -> bool:
        """Record a failed run: queued again after a backoff while attempts remain, else `failed`.
        False when `worker_id` no longer holds the job's lease."""
        now = self.now()
        if retryable and job.attempts - job.deferrals < job.max_attempts:
            return self._update_held(
                job,
                worker_id,
                state="queued",
                run_after=now + timedelta(seconds=self._backoff(job.attempts)),
                lease_owner=None,
                lease_expires=None,
                last_error=error[:MAX_ERROR_CHARS],
                updated_at=now,
            )
        return self._update_held(
            job,
            worker_id,
            state="failed",
            lease_expires=None,
            last_error=error[:MAX_ERROR_CHARS],
            finished_at=now,
            updated_at=now,
        )

    def defer(self, job: Job, worker_id: str, error: str) -> bool:
        """Queue the job again after a backoff because a dependency is down (the LLM): the run does not
        count towards `max_attempts`, so such a job waits for as long as the outage lasts."""
        now = self.now()
        return self._update_held(
            job,
            worker_id,
            state="queued",
            deferrals=JobRow.deferrals + 1,
            run_after=now + timedelta(seconds=min(self._defer_cap, self._backoff(job.attempts))),
            lease_owner=None,
            lease_expires=None,
            last_error=error[:MAX_ERROR_CHARS],
            updated_at=now,
        )

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self._backoff_base, cap=self._backoff_cap)

    def _update_held(self, job: Job, worker_id: str, **values: Any) -> bool:
        with self._session() as session:
            result = session.connection().execute(
                update(JobRow).where(_held(job, worker_id)).values(**values)
            )
            return result.rowcount == 1

    # --- inspection and operations ---------------------------------------------------------------------

    def get(self, kind: str, key: str) -> Job | None:
        with self._session() as session:
            query = select(*_COLUMNS).where(JobRow.kind == kind, JobRow.key == key)
            row = session.connection().execute(query).mappings().first()
            return None if row is None else _job(row)

    def counts(self, kind: str | None = None) -> dict[str, int]:
        """Number of jobs in each state (every state present)."""
        query = select(JobRow.state, func.count()).group_by(JobRow.state)
        if kind is not None:
            query = query.where(JobRow.kind == kind)
        with self._session() as session:
            found = {state: int(n) for state, n in session.execute(query)}
        return {state: found.get(state, 0) for state in STATES}

    def retry_failed(self, kind: str | None = None) -> int:
        """Queue failed jobs again with fresh attempts (after the cause was fixed); returns how many."""
        now = self.now()
        stmt = update(JobRow).where(JobRow.state == "failed")
        if kind is not None:
            stmt = stmt.where(JobRow.kind == kind)
        stmt = stmt.values(
            state="queued",
            attempts=0,
            deferrals=0,
            run_after=now,
            lease_owner=None,
            lease_expires=None,
            finished_at=None,
            updated_at=now,
        )
        with self._session() as session:
            return int(session.connection().execute(stmt).rowcount)


def _held(job: Job, worker_id: str) -> ColumnElement[bool]:
    """The job is still in the run `job` describes: same lease owner, same attempt, still running."""
    return and_(
        JobRow.id == job.id,
        JobRow.state == "running",
        JobRow.lease_owner == worker_id,
        JobRow.attempts == job.attempts,
    )


def _job(row: RowMapping) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        payload=json.loads(row["payload"] or "{}"),
        state=row["state"],
        attempts=row["attempts"],
        deferrals=row["deferrals"],
        max_attempts=row["max_attempts"],
        run_after=as_utc(row["run_after"]),
        lease_owner=row["lease_owner"],
        lease_expires=None if row["lease_expires"] is None else as_utc(row["lease_expires"]),
        last_error=row["last_error"],
        result=None if row["result"] is None else json.loads(row["result"]),
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        finished_at=None if row["finished_at"] is None else as_utc(row["finished_at"]),
    )


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), sort_keys=True, ensure_ascii=False)


__all__ = ["LEASE_EXPIRED", "STATES", "Clock", "Job", "JobQueue", "Writer", "backoff_delay"]
