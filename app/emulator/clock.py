"""An adjustable wall clock that mints Slack timestamps."""

from __future__ import annotations

import threading
import time

__all__ = ["Clock", "ts_key"]


def ts_key(ts: str) -> int:
    """Slack `ts` ("1700000000.000100") as integer microseconds, for exact ordering and comparison."""
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds or "0") * 1_000_000 + int((fraction + "000000")[:6])


class Clock:
    """Real time plus an offset that `advance` moves forward; `next_ts` never repeats or goes back.

    The sandbox uses `advance` to make days pass; every message `ts` and event time comes from here.
    """

    def __init__(self, *, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start - time.time()
        self._last_micros = 0

    def now(self) -> float:
        """Emulated seconds since the epoch."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move emulated time forward by `seconds`."""
        if seconds < 0:
            raise ValueError("the clock only moves forward; got a negative number of seconds")
        with self._lock:
            self._offset += seconds

    def next_ts(self) -> str:
        """A new `ts`, strictly greater than every `ts` minted before."""
        with self._lock:
            micros = max(int((time.time() + self._offset) * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
