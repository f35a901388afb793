"""Builders for Events API payloads and for slash-command / interactive payloads, as Slack sends them."""

from __future__ import annotations

import copy
import secrets
import string
from dataclasses import dataclass
from typing import Any

from app.emulator.directory import Channel

__all__ = [
    "AppIdentity",
    "changed_event",
    "deleted_event",
    "event_callback",
    "member_joined_event",
    "mention_event",
    "message_event",
    "new_event_id",
    "reaction_event",
    "slash_command_payload",
]

_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class AppIdentity:
    """Who the emulated app is: the ids its payloads and `auth.test` carry."""

    team_id: str
    team_domain: str
    app_id: str
    bot_id: str
    bot_user_id: str
    verification_token: str = "emulator-verification-token"


def new_event_id() -> str:
    return "Ev" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


def event_callback(
    identity: AppIdentity, event: dict[str, Any], *, event_id: str, event_time: int
) -> dict[str, Any]:
    """The `event_callback` body that wraps an event (the `payload` of an events_api envelope)."""
    return {
        "token": identity.verification_token,
        "team_id": identity.team_id,
        "context_team_id": identity.team_id,
        "context_enterprise_id": None,
        "api_app_id": identity.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "event_context": f"4-{event.get('type', 'event')}-{identity.team_id}-{event.get('channel', '')}",
        "is_ext_shared_channel": False,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity.team_id,
                "user_id": identity.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
    }


def message_event(channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
    """A `message` event for a newly posted message."""
    event = copy.deepcopy(message)
    event.update(channel=channel.id, channel_type=channel.channel_type, event_ts=message["ts"])
    return event


def mention_event(channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
    """The `app_mention` event Slack sends besides the `message` event when the bot is mentioned."""
    event = {
        "type": "app_mention",
        "user": message["user"],
        "text": message["text"],
        "ts": message["ts"],
        "event_ts": message["ts"],
        "channel": channel.id,
        "team": message.get("team"),
    }
    for key in ("client_msg_id", "blocks", "thread_ts", "parent_user_id"):
        if key in message:
            event[key] = copy.deepcopy(message[key])
    return event


def changed_event(
    channel: Channel, message: dict[str, Any], previous: dict[str, Any], *, event_ts: str
) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel.id,
        "channel_type": channel.channel_type,
        "message": message,
        "previous_message": previous,
        "event_ts": event_ts,
        "ts": event_ts,
    }


def deleted_event(channel: Channel, previous: dict[str, Any], *, event_ts: str) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel.id,
        "channel_type": channel.channel_type,
        "deleted_ts": previous["ts"],
        "previous_message": previous,
        "event_ts": event_ts,
        "ts": event_ts,
    }


def member_joined_event(
    channel: Channel, user_id: str, *, team_id: str, event_ts: str, inviter: str | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user_id,
        "channel": channel.id,
        "channel_type": "C" if channel.kind == "public" else "G",
        "team": team_id,
        "event_ts": event_ts,
    }
    if inviter:
        event["inviter"] = inviter
    return event


def reaction_event(
    kind: str, *, user_id: str, name: str, channel_id: str, ts: str, item_user: str | None, event_ts: str
) -> dict[str, Any]:
    """`reaction_added` or `reaction_removed` (per `kind`)."""
    return {
        "type": kind,
        "user": user_id,
        "reaction": name,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel_id, "ts": ts},
        "event_ts": event_ts,
    }


def slash_command_payload(
    identity: AppIdentity,
    *,
    command: str,
    text: str,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, Any]:
    return {
        "token": identity.verification_token,
        "team_id": identity.team_id,
        "team_domain": identity.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": identity.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
