"""Translate between Slack's API shapes and memory records; read threads and users from Slack."""

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from memory.directory import DirectoryStore
from memory.records import MessageRecord, UserRecord

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 24 * 3600
IGNORED_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name"}


def message_record(team_id: str, channel_id: str, msg: dict[str, Any]) -> MessageRecord | None:
    """The record for a Slack message dict, or None for membership/topic noise."""
    subtype = msg.get("subtype") or ""
    if subtype in IGNORED_SUBTYPES or "ts" not in msg:
        return None
    text = msg.get("text") or ""
    files = [f.get("title") or f.get("name") or "" for f in msg.get("files") or []]
    if files:
        text = (text + "\n" if text else "") + "[files: " + ", ".join(f for f in files if f) + "]"
    thread_ts = msg.get("thread_ts")
    return MessageRecord(
        team_id=team_id,
        channel_id=channel_id,
        ts=str(msg["ts"]),
        text=text,
        user_id=msg.get("user") or "",
        thread_ts=str(thread_ts) if thread_ts else None,
        bot_id=msg.get("bot_id") or "",
        subtype=subtype,
        edited_ts=(msg.get("edited") or {}).get("ts"),
    )


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


__all__ = ["UserDirectory", "fetch_thread", "message_record"]
