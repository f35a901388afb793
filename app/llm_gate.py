"""Admission to the language model for answers: at most `slots` at once, fair across channels.

Work is queued per lane (a channel) and served round-robin, so one busy channel cannot starve the
others: a lone question in a quiet channel waits for at most one turn of each busy lane. Queued work
runs on the gate's own threads (started on demand, gone when the queue is empty), so the Slack listener
that queued it returns at once and the bot keeps answering commands while the model is slow or hung.

A housekeeping thread tells each waiter its place in line (`on_wait(position)`: at once, then when it
changes, at most every `report_interval` seconds unless it is near the front, so a long queue does not
flood Slack with edits) and gives up on work still queued at its deadline (`on_expire()`).
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

NEAR_FRONT = 3  # positions this close to the front are reported as soon as they change
WAIT_SAMPLES = 10_000  # queue waits kept for stats(); older ones are dropped


def _quiet(_position: int) -> None:
    pass


@dataclass(eq=False)
class _Ticket:
    lane: str
    work: Callable[[], None]
    on_wait: Callable[[int], None]
    on_expire: Callable[[], None] | None
    deadline: float | None
    queued_at: float
    lock: threading.Lock = field(default_factory=threading.Lock)  # held while telling or starting
    state: str = "queued"  # queued | running | expired
    told: int | None = None
    told_at: float = 0.0


@dataclass(frozen=True)
class GateStats:
    """Queue waits (seconds, from queueing to starting) of the last `WAIT_SAMPLES` pieces of work."""

    served: int
    expired: int
    waiting: int
    running: int
    waits: tuple[float, ...]

    def percentile(self, p: float) -> float:
        if not self.waits:
            return 0.0
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class LLMGate:
    def __init__(
        self,
        slots: int = 1,
        *,
        report_interval: float = 10.0,
        min_time_left: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`min_time_left`: work whose deadline is closer than this when its turn comes is expired
        instead of started (a model request it could not finish would only hold the server)."""
        self._slots = max(1, slots)
        self._min_time_left = min_time_left
        self._report_interval, self._clock = report_interval, clock
        self._cond = threading.Condition()
        self._lanes: dict[str, deque[_Ticket]] = {}
        self._ring: deque[str] = deque()  # lanes with queued work; the first one is served next
        self._running = 0
        self._keeper: threading.Thread | None = None
        self._changed = threading.Event()
        self._served = self._expired = 0
        self._waits: deque[float] = deque(maxlen=WAIT_SAMPLES)

    def submit(
        self,
        lane: str,
        work: Callable[[], None],
        *,
        on_wait: Callable[[int], None] = _quiet,
        deadline: float | None = None,
        on_expire: Callable[[], None] | None = None,
    ) -> None:
        """Queue `work` in `lane`; it runs on a gate thread when its turn comes. Work still queued at
        `deadline` (a `clock()` value) is dropped and `on_expire()` is called instead."""
        ticket = _Ticket(lane, work, on_wait, on_expire, deadline, self._clock())
        with self._cond:
            queue = self._lanes.setdefault(lane, deque())
            if not queue:
                self._ring.append(lane)
            queue.append(ticket)
            expired = self._dispatch()
            if self._waiting() and (self._keeper is None or not self._keeper.is_alive()):
                self._keeper = threading.Thread(target=self._keep, name="kiok-llm-queue", daemon=True)
                self._keeper.start()
        self._changed.set()
        for late in expired:
            self._expire(late)

    @contextmanager
    def turn(
        self, on_wait: Callable[[int], None] = _quiet, *, lane: str = "", deadline: float | None = None
    ) -> Iterator[None]:
        """Hold a slot for the block (in `lane`'s place in the rotation), waiting for it here. With a
        `deadline` (a `clock()` value), waiting past it raises `TimeoutError` and the block never runs."""
        granted, released, expired = threading.Event(), threading.Event(), threading.Event()

        def hold() -> None:
            granted.set()
            released.wait()

        self.submit(lane, hold, on_wait=on_wait, deadline=deadline, on_expire=expired.set)
        while not granted.wait(0.05):
            if expired.is_set():
                raise TimeoutError("no turn at the language model before the deadline")
        try:
            yield
        finally:
            released.set()

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._waiting()

    def stats(self) -> GateStats:
        with self._cond:
            return GateStats(self._served, self._expired, self._waiting(), self._running, tuple(self._waits))

    # --- internals (called with self._cond held unless said otherwise) ------------------------------

    def _waiting(self) -> int:
        return sum(len(q) for q in self._lanes.values())

    def _next(self) -> _Ticket | None:
        if not self._ring:
            return None
        lane = self._ring.popleft()
        queue = self._lanes[lane]
        ticket = queue.popleft()
        if queue:
            self._ring.append(lane)
        else:
            del self._lanes[lane]
        return ticket

    def _dispatch(self) -> list[_Ticket]:
        """Start queued work on free slots; returns work found past its deadline (to expire unlocked)."""
        expired: list[_Ticket] = []
        while self._running < self._slots and (ticket := self._take(expired)) is not None:
            self._running += 1
            threading.Thread(target=self._work, args=(ticket,), name="kiok-llm-turn", daemon=True).start()
        return expired

    def _take(self, expired: list[_Ticket]) -> _Ticket | None:
        """The next work to start; work already past its deadline is moved to `expired` instead."""
        now = self._clock()
        while (ticket := self._next()) is not None:
            if ticket.deadline is not None and now >= ticket.deadline - self._min_time_left:
                self._expired += 1
                expired.append(ticket)
                continue
            self._served += 1
            self._waits.append(now - ticket.queued_at)
            break
        self._changed.set()
        return ticket

    def _work(self, ticket: _Ticket | None) -> None:
        """A slot's thread: run `ticket`, then queued work until none is left (called without the lock)."""
        while ticket is not None:
            with ticket.lock:  # never start while the housekeeper is telling this ticket its place
                ticket.state = "running"
            try:
                ticket.work()
            except Exception:
                log.exception("queued model work failed")
            expired: list[_Ticket] = []
            with self._cond:
                ticket = self._take(expired)
                if ticket is None:
                    self._running -= 1
            for late in expired:
                self._expire(late)

    def _positions(self) -> list[tuple[_Ticket, int]]:
        """Every queued ticket with how many are ahead of it: round-robin from the front of the ring."""
        ring = list(self._ring)
        placed = []
        for index, lane in enumerate(ring):
            for depth, ticket in enumerate(self._lanes[lane]):
                ahead = sum(min(len(self._lanes[x]), depth) for x in ring)
                ahead += sum(1 for x in ring[:index] if len(self._lanes[x]) > depth)
                placed.append((ticket, ahead))
        return placed

    def _keep(self) -> None:
        """Housekeeping thread: report places in line and expire work past its deadline."""
        while True:
            self._changed.clear()
            now = self._clock()
            with self._cond:
                placed = self._positions()
                expired = [t for t, _ in placed if t.deadline is not None and now >= t.deadline]
                for ticket in expired:
                    self._remove(ticket)
                    self._expired += 1
                if not self._waiting():
                    self._keeper = None
                    live: list[tuple[_Ticket, int]] = []
                else:
                    live = [(t, p) for t, p in placed if t not in expired]
                wake = min((t.deadline for t, _ in live if t.deadline is not None), default=now + 60)
            for ticket in expired:
                self._expire(ticket)
            for ticket, position in live:
                self._tell(ticket, position + 1, now)
            if not live:
                return
            self._changed.wait(max(0.05, min(wake - now, self._report_interval)))

    def _remove(self, ticket: _Ticket) -> None:
        queue = self._lanes[ticket.lane]
        queue.remove(ticket)
        if not queue:
            del self._lanes[ticket.lane]
            self._ring.remove(ticket.lane)

    def _expire(self, ticket: _Ticket) -> None:
        with ticket.lock:
            ticket.state = "expired"
        if ticket.on_expire is not None:
            try:
                ticket.on_expire()
            except Exception:
                log.exception("telling a waiter its time ran out failed")

    def _tell(self, ticket: _Ticket, position: int, now: float) -> None:
        if ticket.told == position:
            return
        due = ticket.told is None or position <= NEAR_FRONT or now - ticket.told_at >= self._report_interval
        if not due:
            return
        with ticket.lock:
            if ticket.state != "queued":
                return
            ticket.told, ticket.told_at = position, now
            try:
                ticket.on_wait(position)
            except Exception:
                log.warning("telling a waiter its place in line failed", exc_info=True)


__all__ = ["GateStats", "LLMGate"]
