"""Channel digests (scheduled and on demand) and the App Home that shows them."""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from app.digests.home import HomeTab
from app.digests.periods import InvalidSchedule
from app.digests.service import DigestFailed, DigestService, DigestStatus
from app.settings import Settings


def build_digests(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    catch_up: Callable[[str, str], object] | None = None,
) -> DigestService:
    """The digest service of the composition root (not started: `start(client)` once Slack is reachable)."""
    return DigestService(
        engine=engine, default_timezone=settings.summary.timezone, clock=clock, catch_up=catch_up
    )


def digests_of(services: object) -> DigestService | None:
    """`services.digests`, or None where the composition root does not provide digests."""
    found = getattr(services, "digests", None)
    return found if isinstance(found, DigestService) else None


__all__ = [
    "DigestFailed",
    "DigestService",
    "DigestStatus",
    "HomeTab",
    "InvalidSchedule",
    "build_digests",
    "digests_of",
]
