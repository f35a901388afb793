"""Admission to the language model for answers: at most `slots` at once, first come first served, with
each waiter told its place in line (a local model answers one question at a time)."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class LLMGate:
    def __init__(self, slots: int = 1) -> None:
        self._slots = max(1, slots)
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0  # tickets below this number may run
        self._running = 0

    @contextmanager
    def turn(self, on_wait: Callable[[int], None] = lambda _position: None) -> Iterator[None]:
        """Hold a slot for the block; while waiting, `on_wait(position)` is called when the place changes."""
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            told = -1
            while not (ticket < self._serving + self._slots - self._running and ticket == self._serving):
                position = ticket - self._serving + 1
                if position != told:
                    told = position
                    self._cond.release()
                    try:
                        on_wait(position)
                    finally:
                        self._cond.acquire()
                    continue
                self._cond.wait(1.0)
            self._serving += 1
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._next_ticket - self._serving


__all__ = ["LLMGate"]
