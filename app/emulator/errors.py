"""Errors raised by the Slack emulator."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "EmulatorError"]


class EmulatorError(Exception):
    """Base class: the emulator was used in a way it cannot honour."""


class ApiError(EmulatorError):
    """A Slack API error: becomes `{"ok": false, "error": ...}` on the wire, as Slack would answer."""

    def __init__(self, error: str, detail: str = "", **extra: Any) -> None:
        super().__init__(f"{error}: {detail}" if detail else error)
        self.error = error
        self.extra = extra
