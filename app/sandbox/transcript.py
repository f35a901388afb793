"""What happened in a sandbox session, in order, and whether Kiok failed anywhere."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from app.i18n import STRINGS

# Loggers that belong to the sandbox itself, not to the bot under test.
_OWN_LOGGERS = ("app.sandbox", "app.emulator")
_ERROR_KEYS = ("llm_down", "llm_timeout", "internal_error")


def is_error_reply(text: str) -> bool:
    """True when a bot message is, or ends with, one of Kiok's failure notices (any language): a failed
    stream keeps the partial answer and appends the notice."""
    if text.startswith(":warning:"):
        return True
    prefixes = [s.split("{", 1)[0] for key in _ERROR_KEYS for s in STRINGS.get(key, {}).values()]
    return any(p and p in text for p in prefixes)


@dataclass
class Transcript:
    """Entries (dicts with a `kind`) in the order they happened, plus every failure seen."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append an entry and return it; callers may keep updating it (a streamed reply's text)."""
        entry = {"kind": kind, **fields}
        with self._lock:
            self.entries.append(entry)
        return entry

    def error(self, kind: str, message: str, **fields: Any) -> None:
        with self._lock:
            self.errors.append({"kind": kind, "message": message, **fields})

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> str:
        with self._lock:
            document = {"ok": self.ok, **self.info, "errors": self.errors, "entries": self.entries}
            return json.dumps(document, ensure_ascii=False, indent=2)


class ErrorCapture(logging.Handler):
    """Records ERROR (and worse) log records from the bot's loggers into a transcript as it runs."""

    def __init__(self, transcript: Transcript, *, echo: Any = None) -> None:
        super().__init__(level=logging.ERROR)
        self.transcript = transcript
        self.echo = echo
        self.enabled = True

    def emit(self, record: logging.LogRecord) -> None:
        if not self.enabled or record.name.startswith(_OWN_LOGGERS):
            return
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        self.transcript.error("log", message, logger=record.name)
        if self.echo is not None:
            self.echo(f"! Kiok logged an error ({record.name}): {message}")


__all__ = ["ErrorCapture", "Transcript", "is_error_reply"]
