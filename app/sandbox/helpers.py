"""Small pure helpers of the console: durations, what a typed `@name` becomes, the digest hook."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

from app.emulator.directory import Directory

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
UNIT_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_AT = re.compile(r"(?<![\w<@])@([\w.\-]+)")
_HASH = re.compile(r"(?<![\w<&#])#([\w\-]+)")
DIGEST_METHODS = ("run_now", "send_now", "run")


def parse_duration(text: str) -> tuple[float, str]:
    """`3d`, `5h`, `90m`, `1w`, `30` (seconds) → (seconds, "3 days"); ValueError when unreadable."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"cannot read {text!r} as a duration: use e.g. 30s, 90m, 5h, 3d or 1w")
    amount, unit = float(match.group(1)), match.group(2) or "s"
    shown = f"{amount:g} {UNIT_NAMES[unit]}{'' if amount == 1 else 's'}"
    return amount * UNITS[unit], shown


def expand_mentions(text: str, directory: Directory, *, bot_name: str, bot_user_id: str) -> str:
    """What a Slack client sends for typed text: `@kiok` → `<@U…>`, `@alice` → `<@U…>`, `#design` →
    `<#C…|design>`; names nobody has stay as typed."""

    def user(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.lower() == bot_name.lower():
            return f"<@{bot_user_id}>"
        found = find_user(directory, name)
        return f"<@{found}>" if found else match.group(0)

    def channel(match: re.Match[str]) -> str:
        found = directory.find_by_name(match.group(1))
        return f"<#{found.id}|{found.name}>" if found is not None else match.group(0)

    return _HASH.sub(channel, _AT.sub(user, text))


def find_user(directory: Directory, name: str) -> str | None:
    """A person's id by handle, display name or real name (case-insensitive)."""
    wanted = name.lower().lstrip("@")
    for user in directory.users.values():
        names = (user.id, user.name, user.display_name, user.real_name, user.real_name.replace(" ", ""))
        if not user.is_bot and wanted in (n.lower() for n in names if n):
            return user.id
    return None


def find_digest_hook(services: object) -> Callable[..., Any] | None:
    """The callable that sends digests now, if the bot has one: `services.digests.run_now` (or
    `send_now`, `run`), or `services.digests` itself when it is callable."""
    digests = getattr(services, "digests", None)
    if digests is None:
        return None
    for name in DIGEST_METHODS:
        method = getattr(digests, name, None)
        if callable(method):
            return method  # type: ignore[no-any-return]
    return digests if callable(digests) else None


def call_with(hook: Callable[..., Any], available: Mapping[str, Any]) -> Any:
    """Call `hook` with those of `available` that it names as parameters (all of them with **kwargs)."""
    try:
        parameters = inspect.signature(hook).parameters
    except (TypeError, ValueError):
        return hook()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return hook(**available)
    return hook(**{k: v for k, v in available.items() if k in parameters})


__all__ = ["call_with", "expand_mentions", "find_digest_hook", "find_user", "parse_duration"]
