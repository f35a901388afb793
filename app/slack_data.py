"""Translate between Slack's API shapes and memory records; read threads and users from Slack."""

import logging
import re
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from memory.directory import DirectoryStore
from memory.records import MessageRecord, UserRecord

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 24 * 3600
IGNORED_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name"}


def message_record(team_id: str, channel_id: str, msg: dict[str, Any]) -> MessageRecord | None:
    """The record for a Slack message dict, or None for membership/topic noise and for a message without
    a usable ts. Malformed fields (wrong types, NUL, lone surrogates) are cleaned, never stored as is."""
    subtype = _field(msg, "subtype")
    ts = slack_ts(msg.get("ts"))
    if subtype in IGNORED_SUBTYPES or ts is None:
        return None
    text = clean_text(msg.get("text"))
    found = msg.get("files")
    found = found if isinstance(found, list) else []
    files = [clean_text(f.get("title") or f.get("name")) for f in found if isinstance(f, dict)]
    if any(files):
        text = (text + "\n" if text else "") + "[files: " + ", ".join(f for f in files if f) + "]"
    edited = msg.get("edited")
    return MessageRecord(
        team_id=team_id,
        channel_id=channel_id,
        ts=ts,
        text=text,
        user_id=_field(msg, "user"),
        thread_ts=slack_ts(msg.get("thread_ts")),
        bot_id=_field(msg, "bot_id"),
        subtype=subtype,
        edited_ts=slack_ts(edited.get("ts")) if isinstance(edited, dict) else None,
    )


_TS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,32}")  # ids are VARCHAR(32) in SQL


def slack_ts(value: object) -> str | None:
    """A Slack timestamp (`1700000000.000100`) as text, or None when `value` is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    return text if _TS.fullmatch(text) else None


def _field(msg: dict[str, Any], key: str) -> str:
    """An id-like field (user, bot_id, subtype); anything that is not one is dropped."""
    value = msg.get(key)
    return value if isinstance(value, str) and _ID.fullmatch(value) else ""


def clean_text(value: object) -> str:
    """Text fit for SQL, the index and the model: NUL removed, lone surrogates replaced, non-text dropped."""
    if not isinstance(value, str):
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""
    text = value.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    return text


def history_pages(
    client: WebClient, channel: str, *, oldest: str = "", cursor: str = "", page_size: int = 200
) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """`conversations.history` page by page, newest first: each page's messages and the cursor of the next
    page ("" after the last), so a caller can save it and resume there."""
    while True:
        resp = client.conversations_history(
            channel=channel, limit=page_size, cursor=cursor or None, oldest=oldest or None
        )
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or ""
        if not resp.get("has_more", True):
            cursor = ""
        yield list(resp.get("messages") or []), cursor
        if not cursor:
            return


def fetch_thread(
    client: WebClient, channel: str, thread_ts: str, *, page_size: int = 200
) -> list[dict[str, Any]]:
    """Every message of a thread, opening message first, following pagination cursors."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=page_size, cursor=cursor)
        messages.extend(resp.get("messages") or [])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor or not resp.get("has_more", True):
            break
    unique = {str(m["ts"]): m for m in messages}  # pages may overlap when the thread grows meanwhile
    return sorted(unique.values(), key=lambda m: float(m["ts"]))


class UserDirectory:
    """Display names for user ids: SQL first (refreshed daily), then `users.info`."""

    def __init__(self, store: DirectoryStore, team_id: str) -> None:
        self._store, self._team_id = store, team_id

    def get(self, client: WebClient, user_id: str) -> UserRecord:
        cached = self._store.get_user(self._team_id, user_id, max_age_s=USER_CACHE_SECONDS)
        if cached is not None:
            return cached
        try:
            info = client.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            stale = self._store.get_user(self._team_id, user_id)
            return stale or UserRecord(self._team_id, user_id)
        profile = info.get("profile") or {}
        user = UserRecord(
            team_id=self._team_id,
            user_id=user_id,
            name=info.get("name") or "",
            real_name=info.get("real_name") or profile.get("real_name") or "",
            display_name=profile.get("display_name") or "",
            is_bot=bool(info.get("is_bot")),
            locale=info.get("locale") or "",
            tz=info.get("tz") or "",
        )
        self._store.upsert_user(user)
        return user


__all__ = ["UserDirectory", "clean_text", "fetch_thread", "message_record", "slack_ts"]
