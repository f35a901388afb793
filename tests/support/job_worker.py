"""A job worker in a process of its own, for the crash and multi-process tests of memory/jobs.py.

`work`: runs a JobRunner whose handler, for jobs of kind "effect", records the job's effect in the
`job_effects` table in the transaction that completes the job. `--hang-in handler|tx --hang-on KEY`
makes it stop forever in the middle of that job (after touching `<markers>/<KEY>`) so a test can kill it.
`claim`: claims jobs until none is left, as fast as it can, and prints their ids as JSON.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.orm import Session

from memory.db import create_db_engine
from memory.job_runner import Completion, JobRunner
from memory.jobs import Job, JobQueue

METADATA = MetaData()
EFFECTS = Table(
    "job_effects",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_key", String(64), nullable=False),  # deliberately not unique: duplicates must show
    Column("worker", String(64), nullable=False),
)
HANG_SECONDS = 120.0


def work(args: argparse.Namespace) -> int:
    queue = JobQueue(create_db_engine(args.url), lease_seconds=args.lease)
    markers = Path(args.markers) if args.markers else None

    def hang_here(job: Job, where: str) -> None:
        if job.key == args.hang_on and args.hang_in == where:
            if markers is not None:
                (markers / job.key).touch()
            time.sleep(HANG_SECONDS)

    def handler(job: Job) -> Completion:
        hang_here(job, "handler")  # the "LLM call"
        time.sleep(args.handler_sleep)

        def write(session: Session) -> None:
            session.execute(insert(EFFECTS).values(job_key=job.key, worker=args.worker_id))
            hang_here(job, "tx")  # the effect is written but the job is not yet marked done
            time.sleep(args.tx_sleep)

        return Completion({"worker": args.worker_id}, write=write)

    runner = JobRunner(
        queue, {"effect": handler}, workers=args.workers, poll_interval=0.1, worker_id=args.worker_id
    )
    runner.start()
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        counts = queue.counts()
        if args.until_done and counts["queued"] == counts["running"] == 0:
            return 0 if runner.stop(10.0) else 3
        time.sleep(0.05)
    runner.stop(1.0)
    return 2


def claim(args: argparse.Namespace) -> int:
    queue = JobQueue(create_db_engine(args.url), lease_seconds=600)
    print("ready", flush=True)
    go = Path(args.go)
    while not go.exists():
        time.sleep(0.001)
    claimed: list[int] = []
    while True:
        job = queue.claim(args.worker_id)
        if job is not None:
            claimed.append(job.id)
        elif queue.counts()["queued"] == 0:
            break
    print(json.dumps(claimed), flush=True)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["work", "claim"])
    parser.add_argument("url")
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--handler-sleep", type=float, default=0.0)
    parser.add_argument("--tx-sleep", type=float, default=0.0)
    parser.add_argument("--hang-on", default="")
    parser.add_argument("--hang-in", choices=["handler", "tx"], default="tx")
    parser.add_argument("--markers", default="")
    parser.add_argument("--until-done", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--go", default="")
    args = parser.parse_args(argv)
    return work(args) if args.mode == "work" else claim(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
