"""Per-channel message storage with threads and reactions, shaped as Slack returns messages."""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from app.emulator.clock import ts_key
from app.emulator.errors import ApiError

__all__ = ["MessageStore", "rich_text_blocks"]

_MAX_REPLY_USERS = 5
_TOKEN = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>|<(https?://[^>|]+)(?:\|([^>]*))?>")


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The `rich_text` block Slack attaches to messages typed by people (mentions become elements)."""
    elements: list[dict[str, Any]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            elements.append({"type": "text", "text": text[position : match.start()]})
        sigil, ref, _label, url, url_label = match.groups()
        if sigil == "@":
            elements.append({"type": "user", "user_id": ref})
        elif sigil == "#":
            elements.append({"type": "channel", "channel_id": ref})
        elif sigil == "!":
            elements.append({"type": "broadcast", "range": ref})
        else:
            link: dict[str, Any] = {"type": "link", "url": url}
            if url_label:
                link["text"] = url_label
            elements.append(link)
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": text[position:]})
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(3),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


class MessageStore:
    """Raw messages per channel in `ts` order; derived thread fields are computed when shaping.

    Not thread-safe on its own: the workspace holds the lock around every call.
    """

    def __init__(self) -> None:
        self._channels: dict[str, dict[str, dict[str, Any]]] = {}
        self._reply_index: dict[tuple[str, str], list[str]] = {}

    def _channel(self, channel_id: str) -> dict[str, dict[str, Any]]:
        return self._channels.setdefault(channel_id, {})

    def add(self, channel_id: str, message: dict[str, Any]) -> None:
        messages = self._channel(channel_id)
        if messages and ts_key(message["ts"]) <= ts_key(next(reversed(messages))):
            raise ApiError("invalid_ts", "messages must be stored in increasing ts order")
        messages[message["ts"]] = message
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            self._reply_index.setdefault((channel_id, thread_ts), []).append(message["ts"])

    def raw(self, channel_id: str, ts: str) -> dict[str, Any]:
        message = self._channel(channel_id).get(ts)
        if message is None:
            raise ApiError("message_not_found", f"no message {ts} in {channel_id}")
        return message

    def root_ts(self, channel_id: str, thread_ts: str) -> str:
        """The parent `ts` of the thread that `thread_ts` belongs to (a reply's ts maps to its parent)."""
        message = self._channel(channel_id).get(thread_ts)
        if message is None:
            raise ApiError("thread_not_found", f"no message {thread_ts} in {channel_id}")
        return str(message.get("thread_ts", thread_ts))

    def _replies(self, channel_id: str, parent_ts: str) -> list[dict[str, Any]]:
        messages = self._channel(channel_id)
        return [messages[ts] for ts in self._reply_index.get((channel_id, parent_ts), [])]

    def shape(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """A deep copy of `message` with the thread summary Slack adds to thread parents."""
        shaped = copy.deepcopy(message)
        replies = self._replies(channel_id, message["ts"])
        if replies:
            users = list(dict.fromkeys(r["user"] for r in replies if r.get("user")))
            shaped.update(
                thread_ts=message["ts"],
                reply_count=len(replies),
                reply_users_count=len(users),
                latest_reply=replies[-1]["ts"],
                reply_users=users[:_MAX_REPLY_USERS],
                is_locked=False,
                subscribed=False,
            )
        return shaped

    def top_level(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages visible in the channel, oldest first: non-replies plus thread broadcasts."""
        return [
            self.shape(channel_id, m)
            for ts, m in self._channel(channel_id).items()
            if m.get("thread_ts", ts) == ts or m.get("subtype") == "thread_broadcast"
        ]

    def thread(self, channel_id: str, thread_ts: str) -> list[dict[str, Any]]:
        """Parent and replies, oldest first."""
        root = self.root_ts(channel_id, thread_ts)
        parent = self.raw(channel_id, root)
        return [self.shape(channel_id, parent)] + [
            self.shape(channel_id, r) for r in self._replies(channel_id, root)
        ]

    def remove(self, channel_id: str, ts: str) -> dict[str, Any]:
        """Delete a message; a parent with replies stays behind as a tombstone. Returns the old shape."""
        previous = self.shape(channel_id, self.raw(channel_id, ts))
        messages = self._channel(channel_id)
        if self._replies(channel_id, ts):
            messages[ts] = {
                "type": "message",
                "subtype": "tombstone",
                "text": "This message was deleted.",
                "user": "USLACKBOT",
                "hidden": True,
                "ts": ts,
                "thread_ts": ts,
            }
        else:
            removed = messages.pop(ts)
            parent = removed.get("thread_ts")
            if parent and parent != ts:
                self._reply_index[(channel_id, parent)].remove(ts)
        return previous

    def add_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> None:
        message = self.raw(channel_id, ts)
        reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if user_id in entry["users"]:
            raise ApiError("already_reacted", f"{user_id} already reacted with :{name}:")
        entry["users"].append(user_id)
        entry["count"] = len(entry["users"])

    def remove_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> None:
        message = self.raw(channel_id, ts)
        reactions: list[dict[str, Any]] = message.get("reactions", [])
        entry = next((r for r in reactions if r["name"] == name and user_id in r["users"]), None)
        if entry is None:
            raise ApiError("no_reaction", f"{user_id} has no :{name}: reaction on {ts}")
        entry["users"].remove(user_id)
        entry["count"] = len(entry["users"])
        if not entry["users"]:
            reactions.remove(entry)
        if not reactions:
            message.pop("reactions", None)
