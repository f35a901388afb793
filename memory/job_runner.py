"""Runs queued jobs on a few background threads of its own, so slow work (LLM summaries) never delays
answering Slack: at most `workers` handlers run at once, whatever else the process is doing.

What a handler's exception means:
- a class in `fatal` (a request the LLM will always refuse): the job fails at once. Checked first, so
  `retryable=(LLMError,), fatal=(LLMBadRequest,)` carves a subclass out;
- a class in `retryable` (the LLM is down or timed out): the job is deferred with backoff and the run
  does not count towards `max_attempts`, so an outage of any length loses no work;
- anything else (a bug, bad data): retried with backoff; each such run counts, as does a worker that
  died mid-job (its lease expires), so a job that keeps crashing ends `failed` after `max_attempts`.

Handlers must be idempotent: after a crash a job runs again from the start. A handler returns its result
as a dict, or a `Completion` whose `write` stores the outcome in the transaction that marks the job done.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from memory.jobs import Job, JobQueue, Writer

log = logging.getLogger(__name__)

ErrorTypes = tuple[type[BaseException], ...]


@dataclass(frozen=True)
class Completion:
    """A handler's outcome: `result` is kept on the job; `write` runs in the transaction that marks the
    job done, so it takes effect exactly once even when the handler itself ran twice."""

    result: Mapping[str, Any] = field(default_factory=dict)
    write: Writer | None = None


Handler = Callable[[Job], Mapping[str, Any] | Completion | None]


def default_worker_id() -> str:
    """Host, process and a random suffix: unique across machines and restarts."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobRunner:
    """Claims and runs jobs of the kinds in `handlers` on `workers` threads, polling every
    `poll_interval` seconds and at once on `wake()`. Leases are extended while a handler runs."""

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, Handler],
        *,
        workers: int = 1,
        poll_interval: float = 5.0,
        worker_id: str | None = None,
        retryable: ErrorTypes = (),
        fatal: ErrorTypes = (),
        heartbeat_interval: float | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if not handlers:
            raise ValueError("a JobRunner needs at least one handler")
        self._queue, self._handlers = queue, dict(handlers)
        self._workers, self._poll = workers, poll_interval
        self._worker_id = worker_id or default_worker_id()
        if len(self._worker_id) > 100:
            raise ValueError("worker_id must have at most 100 characters (it is stored with a suffix)")
        self._retryable, self._fatal = retryable, fatal
        self._heartbeat = heartbeat_interval or queue.lease_seconds / 3
        self._cond = threading.Condition()
        self._generation = 0  # bumped by wake(): a worker that saw an older one looks again
        self._idle = [False] * workers
        self._stopping = False
        self._threads: list[threading.Thread] = []

    @property
    def worker_id(self) -> str:
        return self._worker_id

    @property
    def running(self) -> bool:
        """Background threads were started and some are alive (they will pick up queued jobs)."""
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("this JobRunner was already started")
        for index in range(self._workers):
            thread = threading.Thread(target=self._loop, args=(index,), name=f"kiok-job-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Let running handlers finish and stop the threads. False if some were still busy at `timeout`
        (their jobs' leases then expire and other workers take them over)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def wake(self) -> None:
        """Look for jobs now (call after enqueueing) instead of at the next poll."""
        with self._cond:
            self._generation += 1
            self._idle = [False] * self._workers
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no worker finds a job to run (jobs waiting out a backoff do not count)."""
        self.wake()
        deadline = time.monotonic() + timeout
        with self._cond:
            while not all(self._idle):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not any(t.is_alive() for t in self._threads):
                    return False
                self._cond.wait(remaining)
        return True

    def run_pending(self, *, until_empty: bool = True) -> int:
        """Run due jobs in the calling thread (the CLI's `--wait`): all of them, or one when
        `until_empty` is False. Returns how many ran."""
        worker_id, ran = f"{self._worker_id}/sync", 0
        while job := self._queue.claim(worker_id, kinds=self._handlers):
            self._run(job, worker_id)
            ran += 1
            if not until_empty:
                break
        return ran

    def _loop(self, index: int) -> None:
        worker_id = f"{self._worker_id}/{index}"
        while True:
            with self._cond:
                if self._stopping:
                    return
                seen = self._generation
            try:
                job = self._queue.claim(worker_id, kinds=self._handlers)
            except Exception:
                log.exception("claiming a job failed; trying again in %.0f s", self._poll)
                with self._cond:
                    self._cond.wait(self._poll)
                continue
            if job is not None:
                with self._cond:
                    self._idle[index] = False
                self._run(job, worker_id)
                continue
            with self._cond:
                if self._generation == seen and not self._stopping:
                    self._idle[index] = True
                    self._cond.notify_all()
                    self._cond.wait(self._poll)

    def _run(self, job: Job, worker_id: str) -> None:
        """Run one job's handler and record the outcome; never raises."""
        handler = self._handlers[job.kind]
        try:
            with _LeaseKeeper(self._queue, job, worker_id, self._heartbeat):
                outcome = handler(job)
            done = outcome if isinstance(outcome, Completion) else Completion(outcome or {})
            if not self._queue.complete(job, worker_id, done.result, write=done.write):
                log.warning("job %s/%s finished after another worker took it over", job.kind, job.key)
        except self._fatal as exc:
            log.error("job %s/%s failed for good: %s", job.kind, job.key, exc)
            self._record(self._queue.fail, job, worker_id, _describe(exc), retryable=False)
        except self._retryable as exc:
            log.warning("job %s/%s deferred: %s", job.kind, job.key, exc)
            self._record(self._queue.defer, job, worker_id, _describe(exc))
        except Exception as exc:
            log.exception("job %s/%s (attempt %d) failed", job.kind, job.key, job.attempts)
            self._record(self._queue.fail, job, worker_id, _describe(exc))

    @staticmethod
    def _record(action: Callable[..., bool], job: Job, worker_id: str, error: str, **kw: Any) -> None:
        try:
            action(job, worker_id, error, **kw)
        except Exception:
            log.exception("could not record how job %s/%s ended; it runs again later", job.kind, job.key)


class _LeaseKeeper:
    """Extends a job's lease every `interval` seconds on a thread of its own while the handler runs."""

    def __init__(self, queue: JobQueue, job: Job, worker_id: str, interval: float) -> None:
        self._queue, self._job, self._worker_id, self._interval = queue, job, worker_id, interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"kiok-job-lease-{job.id}", daemon=True)

    def __enter__(self) -> "_LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self._interval):
            try:
                if not self._queue.heartbeat(self._job, self._worker_id):
                    log.warning("lost the lease on job %s: another worker took it over", self._job.id)
                    return
            except Exception:
                log.warning("could not extend the lease on job %s", self._job.id, exc_info=True)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


__all__ = ["Completion", "Handler", "JobRunner", "default_worker_id"]
