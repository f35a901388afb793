"""The durable job queue and its runner on SQLite and PostgreSQL: idempotent enqueue, claim order, leases,
backoff, attempts, exactly-once results, and threads racing for jobs. Processes: tests/test_jobs_processes.py.
"""

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from memory.job_runner import Completion, JobRunner
from memory.jobs import LEASE_EXPIRED, Job, JobQueue, backoff_delay
from tests.support.job_worker import EFFECTS

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class LLMDown(Exception):
    """Stands in for summarizer.errors.LLMUnavailable (memory/ does not import summarizer/)."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(engine: Engine, clock: FakeClock) -> JobQueue:
    return JobQueue(engine, lease_seconds=300, clock=clock)


def effects(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(conn.scalars(select(EFFECTS.c.job_key)))


def record_effect(key: str) -> Any:
    def write(session: Session) -> None:
        session.execute(insert(EFFECTS).values(job_key=key, worker="test"))

    return write


def test_enqueue_is_idempotent_on_kind_and_key(queue: JobQueue) -> None:
    assert queue.enqueue("summarize", "T1:C1:100-200", {"channel": "C1", "n": 2}) is True
    assert queue.enqueue("summarize", "T1:C1:100-200", {"channel": "C1", "n": 2}) is False
    assert queue.enqueue("digest", "T1:C1:100-200") is True  # same key, other kind: other work
    job = queue.claim("w1", kinds=["summarize"])
    assert job is not None and job.payload == {"channel": "C1", "n": 2}
    assert queue.complete(job, "w1", {"summary_id": 7})
    assert queue.enqueue("summarize", "T1:C1:100-200") is False  # done work is not queued again
    done = queue.get("summarize", "T1:C1:100-200")
    assert done is not None and done.state == "done" and done.result == {"summary_id": 7}
    assert done.finished_at is not None and done.finished_at.tzinfo is not None
    assert queue.get("summarize", "nope") is None
    assert queue.counts() == {"queued": 1, "running": 0, "done": 1, "failed": 0}
    assert queue.counts("summarize") == {"queued": 0, "running": 0, "done": 1, "failed": 0}
    with pytest.raises(ValueError):
        queue.enqueue("summarize", "k" * 256)


def test_claim_takes_due_jobs_oldest_first_and_respects_run_after(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("s", "later", run_after=START + timedelta(minutes=10))
    queue.enqueue("s", "second", run_after=START - timedelta(seconds=1))
    queue.enqueue("s", "first", run_after=START - timedelta(minutes=1))
    queue.enqueue("other", "elsewhere", run_after=START - timedelta(hours=1))
    taken = [queue.claim("w1", kinds=["s"]) for _ in range(3)]
    assert [j.key if j else None for j in taken] == ["first", "second", None]
    for job in taken[:2]:
        assert job is not None and job.state == "running" and job.lease_owner == "w1"
        assert queue.complete(job, "w1")
    clock.advance(600)
    later = queue.claim("w1", kinds=["s"])
    assert later is not None and later.key == "later" and later.attempts == 1
    assert later.lease_expires == START + timedelta(seconds=900)
    other = queue.claim("w1")
    assert other is not None and other.key == "elsewhere"
    assert queue.claim("w1") is None


def test_a_failed_run_is_retried_after_a_backoff_then_succeeds(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("s", "k")
    for attempt, backoff in ((1, 5.0), (2, 10.0), (3, 20.0)):
        job = queue.claim("w1")
        assert job is not None and job.attempts == attempt
        assert queue.fail(job, "w1", f"boom {attempt}")
        queued = queue.get("s", "k")
        assert queued is not None and queued.state == "queued" and queued.last_error == f"boom {attempt}"
        wait = (queued.run_after - clock.now).total_seconds()
        assert backoff / 2 <= wait <= backoff  # "equal jitter"
        assert queued.lease_owner is None and queue.claim("w2") is None  # not before its time
        clock.advance(backoff)
    job = queue.claim("w2")
    assert job is not None and job.attempts == 4
    assert queue.complete(job, "w2", {"ok": True})
    done = queue.get("s", "k")
    assert done is not None and done.state == "done" and done.result == {"ok": True}


def test_backoff_grows_exponentially_and_is_capped() -> None:
    assert [backoff_delay(n, base=5, cap=900) <= 5 * 2 ** (n - 1) for n in range(1, 9)] == [True] * 8
    assert all(450 <= backoff_delay(n) <= 900 for n in (9, 20, 1000))
    assert 2.5 <= backoff_delay(1) <= 5


def test_max_attempts_ends_in_failed_and_retry_failed_queues_again(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("s", "k", max_attempts=2)
    for _ in range(2):
        clock.advance(60)
        job = queue.claim("w1")
        assert job is not None
        assert queue.fail(job, "w1", "still broken")
    failed = queue.get("s", "k")
    assert failed is not None and failed.state == "failed" and failed.attempts == 2
    assert failed.finished_at is not None and failed.last_error == "still broken"
    clock.advance(3600)
    assert queue.claim("w1") is None
    queue.enqueue("s", "fatal")
    job = queue.claim("w1")
    assert job is not None
    assert queue.fail(job, "w1", "bad request", retryable=False)
    assert queue.counts()["failed"] == 2
    assert queue.retry_failed(kind="s") == 2
    again = queue.claim("w1")
    assert again is not None and again.attempts == 1 and again.state == "running"


def test_deferring_does_not_use_up_attempts(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("s", "k", max_attempts=2)
    for _ in range(5):  # the LLM is down for a long time
        job = queue.claim("w1")
        assert job is not None
        assert queue.defer(job, "w1", "LLMDown: connection refused")
        clock.advance(900)
    job = queue.claim("w1")
    assert job is not None and job.attempts == 6 and job.deferrals == 5
    assert queue.fail(job, "w1", "a real bug")  # the first counted failure: one attempt left
    assert queue.get("s", "k").state == "queued"  # type: ignore[union-attr]


def test_a_long_outage_is_probed_at_most_every_defer_cap_seconds(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("s", "k")
    job = queue.claim("w1")
    for _ in range(12):  # an hour-long outage: the backoff would grow to 900 s, deferrals stop at 120 s
        assert job is not None
        assert queue.defer(job, "w1", "LLMDown: connection refused")
        clock.advance(120)
        job = queue.claim("w1")  # the model may be back: the job is tried again within two minutes
    assert job is not None and job.deferrals == 12


def test_an_expired_lease_makes_a_running_job_claimable_again(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("s", "k")
    first = queue.claim("w1")
    assert first is not None
    clock.advance(200)
    assert queue.heartbeat(first, "w1")  # lease now ends at 500 s
    clock.advance(250)
    assert queue.claim("w2") is None
    clock.advance(51)
    second = queue.claim("w2")
    assert second is not None and second.id == first.id and second.attempts == 2
    assert second.lease_owner == "w2" and second.last_error == LEASE_EXPIRED
    assert not queue.heartbeat(first, "w1")
    assert not queue.fail(first, "w1", "late")
    assert not queue.complete(first, "w1", {"by": "w1"})
    assert queue.complete(second, "w2", {"by": "w2"})
    assert queue.get("s", "k").result == {"by": "w2"}  # type: ignore[union-attr]


def test_complete_by_a_non_owner_is_refused_and_writes_nothing(
    engine: Engine, queue: JobQueue, clock: FakeClock
) -> None:
    EFFECTS.create(engine)
    queue.enqueue("s", "k")
    job = queue.claim("w1")
    assert job is not None
    assert not queue.complete(job, "intruder", {"x": 1}, write=record_effect("k"))
    clock.advance(301)
    taken = queue.claim("w2")
    assert taken is not None
    # Same worker name, but an earlier attempt: still refused (compare-and-set on the attempt number).
    assert not queue.complete(job, "w1", write=record_effect("k"))
    assert effects(engine) == Counter()

    def broken(session: Session) -> None:
        record_effect("k")(session)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        queue.complete(taken, "w2", write=broken)
    assert queue.get("s", "k").state == "running"  # type: ignore[union-attr]
    assert effects(engine) == Counter()  # rolled back with the job's state
    assert queue.complete(taken, "w2", write=record_effect("k"))
    assert effects(engine) == Counter({"k": 1})


def test_a_job_that_keeps_killing_its_worker_ends_failed(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("s", "poison", max_attempts=2)
    queue.enqueue("s", "fine", run_after=START + timedelta(seconds=1))
    assert queue.claim("w1") is not None  # attempt 1: the worker dies
    clock.advance(301)
    assert queue.claim("w2") is not None  # attempt 2: dies again
    clock.advance(301)
    job = queue.claim("w3")  # the poison job is given up on; the next one is claimed instead
    assert job is not None and job.key == "fine"
    poison = queue.get("s", "poison")
    assert poison is not None and poison.state == "failed" and poison.last_error == LEASE_EXPIRED


def test_threads_racing_to_claim_never_take_the_same_job(engine: Engine) -> None:
    queue = JobQueue(engine)
    n_jobs, n_threads = 80, 4
    for i in range(n_jobs):
        queue.enqueue("s", f"k{i}")
    barrier = threading.Barrier(n_threads)
    claims: list[list[int]] = [[] for _ in range(n_threads)]

    def claimer(index: int) -> None:
        barrier.wait()
        while (job := queue.claim(f"t{index}")) is not None or queue.counts()["queued"]:
            if job is not None:
                claims[index].append(job.id)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    every = [job_id for ids in claims for job_id in ids]
    assert len(every) == n_jobs and len(set(every)) == n_jobs
    assert sum(1 for ids in claims if ids) >= 2  # they did race
    assert queue.counts()["running"] == n_jobs


# --- the runner ------------------------------------------------------------------------------------------


def test_runner_never_runs_more_handlers_than_workers(engine: Engine) -> None:
    queue = JobQueue(engine)
    lock, running, peak, seen = threading.Lock(), [0], [0], []

    def handler(job: Job) -> dict[str, Any]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
            seen.append(job.key)
        return {"key": job.key}

    runner = JobRunner(queue, {"s": handler}, workers=3, poll_interval=0.05)
    runner.start()
    for i in range(15):
        queue.enqueue("s", f"k{i}")
    runner.wake()
    assert runner.wait_idle(20)
    assert runner.stop(5)
    assert peak[0] == 3
    assert sorted(seen) == sorted(f"k{i}" for i in range(15))
    assert queue.counts() == {"queued": 0, "running": 0, "done": 15, "failed": 0}
    assert queue.get("s", "k3").result == {"key": "k3"}  # type: ignore[union-attr]


def test_runner_defers_on_an_llm_outage_and_never_loses_the_job(engine: Engine, clock: FakeClock) -> None:
    queue = JobQueue(engine, clock=clock)
    calls: list[int] = []

    def handler(job: Job) -> dict[str, Any]:
        calls.append(job.attempts)
        if len(calls) <= 12:
            raise LLMDown("cannot reach the LLM server")
        return {"summary": "ok"}

    runner = JobRunner(queue, {"s": handler}, retryable=(LLMDown,))
    queue.enqueue("s", "k", max_attempts=3)
    for _ in range(12):
        assert runner.run_pending() == 1  # then the deferred job waits out its backoff
        job = queue.get("s", "k")
        assert job is not None and job.state == "queued" and job.last_error.startswith("LLMDown")
        clock.advance(900)
    assert runner.run_pending() == 1
    done = queue.get("s", "k")
    assert done is not None and done.state == "done" and done.result == {"summary": "ok"}
    assert (done.attempts, done.deferrals) == (13, 12)


def test_runner_retries_other_errors_up_to_max_attempts_or_gives_up(engine: Engine, clock: FakeClock) -> None:
    queue = JobQueue(engine, clock=clock)

    def handler(job: Job) -> dict[str, Any]:
        if job.key == "refused":
            raise PermissionError("prompt too long")
        raise KeyError("bug")

    runner = JobRunner(queue, {"s": handler}, fatal=(PermissionError,))
    queue.enqueue("s", "bug", max_attempts=3)
    queue.enqueue("s", "refused", max_attempts=3)
    assert runner.run_pending() == 2
    assert queue.get("s", "refused").state == "failed"  # type: ignore[union-attr]
    for _ in range(2):
        clock.advance(900)
        assert runner.run_pending(until_empty=False) == 1
    bug = queue.get("s", "bug")
    assert bug is not None and bug.state == "failed" and bug.attempts == 3
    assert bug.last_error == "KeyError: 'bug'"


def test_runner_keeps_the_lease_while_a_long_handler_runs(engine: Engine) -> None:
    queue = JobQueue(engine, lease_seconds=1.0)  # heartbeats every 0.33 s; the handler outlives a lease
    started = threading.Event()

    def slow(job: Job) -> dict[str, Any]:
        started.set()
        time.sleep(1.5)
        return {}

    runner = JobRunner(queue, {"s": slow}, poll_interval=0.05)
    queue.enqueue("s", "k")
    runner.start()
    assert started.wait(10)
    stolen = []
    while queue.get("s", "k").state == "running":  # type: ignore[union-attr]
        stolen.append(queue.claim("thief"))
        time.sleep(0.05)
    assert runner.stop(5)
    assert stolen and stolen == [None] * len(stolen)
    assert queue.get("s", "k").attempts == 1  # type: ignore[union-attr]


def test_runner_stores_a_completion_write_once_with_the_job(engine: Engine) -> None:
    EFFECTS.create(engine)
    queue = JobQueue(engine)

    def handler(job: Job) -> Completion:
        return Completion({"stored": True}, write=record_effect(job.key))

    runner = JobRunner(queue, {"s": handler})
    for i in range(3):
        queue.enqueue("s", f"k{i}")
    queue.enqueue("unhandled", "x")
    assert runner.run_pending() == 3
    assert runner.run_pending() == 0
    assert effects(engine) == Counter({"k0": 1, "k1": 1, "k2": 1})
    assert queue.counts("unhandled")["queued"] == 1
