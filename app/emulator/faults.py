"""Programmable faults: rate limits, API errors, slow responses, lost acks and lost events."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["ANY_METHOD", "Fault", "Faults"]

ANY_METHOD = "*"


@dataclass
class Fault:
    """One armed fault: the next `remaining` calls get this answer (None = until cleared)."""

    method: str
    status: int
    error: str
    retry_after: int | None = None
    remaining: int | None = 1


@dataclass
class _Delay:
    method: str
    seconds: float
    remaining: int | None


class Faults:
    """Faults for the next calls of a Web API method (`"*"` matches every method). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._delays: list[_Delay] = []
        self._ignored_acks = 0
        self._lose_events = False

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """The next `times` calls get HTTP 429, `Retry-After`, and `{"ok": false, "error": "ratelimited"}`."""
        self._arm(Fault(method, 429, "ratelimited", retry_after=int(retry_after), remaining=times))

    def fail(self, method: str, error: str = "internal_error", times: int = 1, status: int = 200) -> None:
        """The next `times` calls get `{"ok": false, "error": error}` with HTTP `status`."""
        self._arm(Fault(method, status, error, remaining=times))

    def delay(self, method: str, seconds: float, times: int | None = None) -> None:
        """Answer the next `times` calls (all, when None) only after `seconds`."""
        with self._lock:
            self._delays.append(_Delay(method, seconds, times))

    def ignore_acks(self, n: int = 1) -> None:
        """Lose the next `n` Socket Mode ack frames, so unacknowledged events get redelivered."""
        with self._lock:
            self._ignored_acks += n

    def lose_events_while_disconnected(self, lose: bool = True) -> None:
        """Drop Events API events that find no open socket instead of queueing them until one connects
        (Slack gives up on an event after a few retries): what was said then must be read from history."""
        with self._lock:
            self._lose_events = lose

    @property
    def loses_events(self) -> bool:
        return self._lose_events

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._delays.clear()
            self._ignored_acks = 0
            self._lose_events = False

    def _arm(self, fault: Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str) -> tuple[float, Fault | None]:
        """Consume what applies to one call of `method`: total delay in seconds, and the fault to answer."""
        with self._lock:
            seconds = 0.0
            for delay in list(self._delays):
                if delay.method in (method, ANY_METHOD):
                    seconds += delay.seconds
                    if delay.remaining is not None:
                        delay.remaining -= 1
                        if delay.remaining <= 0:
                            self._delays.remove(delay)
            fault = next((f for f in self._faults if f.method in (method, ANY_METHOD)), None)
            if fault is not None and fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return seconds, fault

    def take_ignored_ack(self) -> bool:
        with self._lock:
            if self._ignored_acks > 0:
                self._ignored_acks -= 1
                return True
            return False
