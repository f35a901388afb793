"""Terminal output that works on a dumb terminal: whole lines, plus one open line that a streamed reply
extends in place (only appended text is written, so no cursor movement is ever needed)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TextIO

INDENT = "    "


class Refs:
    """Short numbers for messages (`[3]`), so people can type `:reply 3 …` instead of a ts."""

    def __init__(self) -> None:
        self._keys: list[tuple[str, str]] = []
        self._numbers: dict[tuple[str, str], int] = {}

    def number(self, channel_id: str, ts: str) -> int:
        key = (channel_id, ts)
        if key not in self._numbers:
            self._keys.append(key)
            self._numbers[key] = len(self._keys)
        return self._numbers[key]

    def lookup(self, number: int) -> tuple[str, str] | None:
        return self._keys[number - 1] if 0 < number <= len(self._keys) else None


class Screen:
    """Writes to `out` (nothing when None). Dates get a separator line when the emulated day changes."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out
        self._lock = threading.RLock()
        self._live: object | None = None
        self._shown = ""
        self._day = ""

    def message(self, key: object, ts: str, header: str, text: str, *, live: bool = False) -> None:
        """A message line; `live` leaves it open so `update` can extend it as the text streams in."""
        with self._lock:
            self.close_line()
            self._date(ts)
            self._write(header + _indent(text))
            if live:
                self._live, self._shown = key, text
            else:
                self._write("\n")

    def update(self, key: object, ts: str, header: str, text: str, *, live: bool) -> None:
        """New text for message `key`: appended on its open line when it only grew, else a new line."""
        with self._lock:
            if self._live == key and self._shown and text.startswith(self._shown):
                self._write(_indent(text[len(self._shown) :]))
                self._shown = text
                if not live:
                    self.close_line()
            elif self._live == key and text == self._shown:
                if not live:
                    self.close_line()
            else:
                self.message(key, ts, header, text, live=live)

    def line(self, text: str) -> None:
        with self._lock:
            self.close_line()
            self._write(_indent(text) + "\n")

    def close_line(self) -> None:
        with self._lock:
            if self._live is not None:
                self._write("\n")
                self._live, self._shown = None, ""

    def _date(self, ts: str) -> None:
        day = datetime.fromtimestamp(float(ts)).strftime("%a %Y-%m-%d")
        if day != self._day:
            self._day = day
            self._write(f"── {day} ──\n")

    def _write(self, text: str) -> None:
        if self.out is not None and text:
            self.out.write(text)
            self.out.flush()


def clock_time(ts: str) -> str:
    return datetime.fromtimestamp(float(ts)).strftime("%H:%M")


def _indent(text: str) -> str:
    return text.replace("\n", "\n" + INDENT)


__all__ = ["INDENT", "Refs", "Screen", "clock_time"]
