"""Cursor pagination in Slack's style: opaque base64 cursors, `has_more`, `response_metadata.next_cursor`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from app.emulator.clock import ts_key
from app.emulator.errors import ApiError

__all__ = ["decode_cursor", "encode_cursor", "page_by_id", "page_by_ts"]

T = TypeVar("T")


def encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str, kind: str) -> str:
    """The value inside a cursor minted by `encode_cursor`; `invalid_cursor` for anything else."""
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError("invalid_cursor", cursor) from None
    found_kind, sep, value = decoded.partition(":")
    if not sep or found_kind != kind:
        raise ApiError("invalid_cursor", cursor)
    return value


def _page(
    items: Sequence[T], start: int, limit: int, next_value: Callable[[T], str], kind: str
) -> tuple[list[T], str]:
    chunk = list(items[start : start + limit])
    rest = items[start + limit :]
    return chunk, encode_cursor(kind, next_value(rest[0])) if rest else ""


def page_by_ts(
    messages: Sequence[dict[str, object]], *, cursor: str, limit: int, newest_first: bool
) -> tuple[list[dict[str, object]], str]:
    """One page of messages already in display order; the cursor names the `ts` the next page starts at.

    Using the `ts` rather than an offset keeps pages stable while new messages arrive, as Slack's do.
    """
    start = 0
    if cursor:
        at = ts_key(decode_cursor(cursor, "next_ts"))
        start = next(
            (
                i
                for i, m in enumerate(messages)
                if (ts_key(str(m["ts"])) <= at if newest_first else ts_key(str(m["ts"])) >= at)
            ),
            len(messages),
        )
    return _page(messages, start, limit, lambda m: str(m["ts"]), "next_ts")


def page_by_id(ids: Sequence[T], *, cursor: str, limit: int, key: Callable[[T], str]) -> tuple[list[T], str]:
    """One page of a stable list of things with ids (members, conversations, users)."""
    start = 0
    if cursor:
        wanted = decode_cursor(cursor, "id")
        start = next((i for i, item in enumerate(ids) if key(item) == wanted), -1)
        if start < 0:
            raise ApiError("invalid_cursor", cursor)
    return _page(ids, start, limit, key, "id")
