"""How a persisted scheduler job reaches the live DigestService.

APScheduler's SQL job store pickles each job, so a job names its function by textual reference
(`app.digests.jobs:run_scheduled_digest`) and carries only data (team, channel). Each DigestService
registers itself under an id when it starts and runs its jobs in a thread pool whose threads are bound to
that id, so the job runs on the service whose scheduler fired it — two services in one process (tests, or a
second workspace database) never cross.
"""

import threading
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.digests.service import DigestService

JOB_FUNC = "app.digests.jobs:run_scheduled_digest"
JOB_PREFIX = "kiok-digest:"

_registry: dict[str, "DigestService"] = {}
_registry_lock = threading.Lock()
_bound = threading.local()


def job_id(team_id: str, channel_id: str) -> str:
    return f"{JOB_PREFIX}{team_id}:{channel_id}"


def register(service: "DigestService") -> str:
    """Register a started service; returns the id its executor threads are bound to."""
    service_id = uuid.uuid4().hex
    with _registry_lock:
        _registry[service_id] = service
    return service_id


def unregister(service_id: str) -> None:
    with _registry_lock:
        _registry.pop(service_id, None)


def bind_thread(service_id: str) -> None:
    """Thread-pool initializer: jobs run on this thread belong to the service `service_id`."""
    _bound.service_id = service_id


def bound_service() -> "DigestService":
    service_id = getattr(_bound, "service_id", None)
    with _registry_lock:
        service = _registry.get(service_id) if service_id else None
    if service is None:
        raise RuntimeError(
            "run_scheduled_digest ran on a thread no started DigestService owns "
            "(it is meant to be called by DigestService's scheduler)"
        )
    return service


def run_scheduled_digest(team_id: str, channel_id: str) -> None:
    """The scheduler's job: post the channel's digest for the period that is due (at most once)."""
    bound_service().run_scheduled(team_id, channel_id)


__all__ = [
    "JOB_FUNC",
    "JOB_PREFIX",
    "bind_thread",
    "bound_service",
    "job_id",
    "register",
    "run_scheduled_digest",
    "unregister",
]
