"""Job workers as real processes on SQLite and PostgreSQL: processes racing to claim never share a job,
and a worker killed with SIGKILL in the middle of a job loses no job and repeats no effect."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from memory.jobs import LEASE_EXPIRED, JobQueue
from tests.support.job_worker import EFFECTS

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "tests" / "support" / "job_worker.py"
LEASE = 2.0


@pytest.fixture
def spawn(db_url: str) -> Iterator[list[subprocess.Popen[str]]]:
    """Started worker processes; any still running at the end of the test are killed."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def start(procs: list[subprocess.Popen[str]], db_url: str, mode: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(SCRIPT), mode, db_url, *args]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    procs.append(proc)
    return proc


def wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"the worker exited early with {proc.returncode}"
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def test_processes_racing_to_claim_never_take_the_same_job(
    engine: Engine, db_url: str, spawn: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    queue = JobQueue(engine)
    n_jobs = 150
    for i in range(n_jobs):
        queue.enqueue("s", f"k{i}")
    go = tmp_path / "go"
    procs = [start(spawn, db_url, "claim", "--worker-id", f"p{i}", "--go", str(go)) for i in range(2)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    claims = []
    for proc in procs:
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        claims.append(json.loads(out))
    every = [job_id for ids in claims for job_id in ids]
    assert len(every) == n_jobs and len(set(every)) == n_jobs
    assert all(claims), "both processes claimed jobs"
    assert queue.counts()["running"] == n_jobs


def test_a_killed_worker_loses_no_job_and_repeats_no_effect(
    engine: Engine, db_url: str, spawn: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    EFFECTS.create(engine)
    queue = JobQueue(engine)
    keys = [f"k{i}" for i in range(8)]
    for key in keys:
        queue.enqueue("effect", key, {"n": key})
    common = ["--lease", str(LEASE), "--markers", str(tmp_path)]

    # Worker A1 dies during the handler's "LLM call" of k1 (k0 is done by then).
    a1 = start(spawn, db_url, "work", "--worker-id", "A1", "--hang-on", "k1", "--hang-in", "handler", *common)
    wait_for(tmp_path / "k1", a1)
    a1.send_signal(signal.SIGKILL)
    a1.wait(10)
    assert state_of(queue, "k0") == ("done", "A1/0") and state_of(queue, "k1") == ("running", "A1/0")
    # Worker A2 dies inside the transaction that stores k3's effect and marks k3 done.
    a2 = start(spawn, db_url, "work", "--worker-id", "A2", "--hang-on", "k3", "--hang-in", "tx", *common)
    wait_for(tmp_path / "k3", a2)
    a2.send_signal(signal.SIGKILL)
    a2.wait(10)
    assert state_of(queue, "k3") == ("running", "A2/0")
    assert effects_by_key(engine)["k3"] == 0  # written, then rolled back with the killed transaction

    # A new worker takes the interrupted jobs over once their leases expire, and finishes the rest.
    b = start(spawn, db_url, "work", "--worker-id", "B", "--workers", "2", "--until-done", *common)
    assert b.wait(30) == 0
    assert queue.counts("effect") == {"queued": 0, "running": 0, "done": len(keys), "failed": 0}
    assert effects_by_key(engine) == Counter(keys)
    for key in ("k1", "k3"):
        job = queue.get("effect", key)
        assert job is not None and job.attempts == 2 and job.last_error == LEASE_EXPIRED
    with engine.connect() as conn:
        workers = dict(conn.execute(select(EFFECTS.c.job_key, EFFECTS.c.worker)).all())
    assert workers["k0"] == "A1" and workers["k1"] in {"A2", "B"} and workers["k3"] == "B"


def state_of(queue: JobQueue, key: str) -> tuple[str, str | None]:
    job = queue.get("effect", key)
    assert job is not None
    return job.state, job.lease_owner


def effects_by_key(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(conn.scalars(select(EFFECTS.c.job_key)))
