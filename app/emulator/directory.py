"""Users and conversations of the emulated workspace, shaped as Slack returns them."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.emulator.errors import ApiError

__all__ = ["Channel", "ChannelKind", "Directory", "User", "mpim_name"]

ChannelKind = Literal["public", "private", "im", "mpim"]

_CHANNEL_TYPE: dict[ChannelKind, str] = {"public": "channel", "private": "group", "im": "im", "mpim": "mpim"}


def _tz_fields(tz: str) -> dict[str, Any]:
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return {"tz": tz, "tz_label": tz, "tz_offset": 0}
    offset = now.utcoffset()
    return {
        "tz": tz,
        "tz_label": now.tzname() or tz,
        "tz_offset": int(offset.total_seconds()) if offset else 0,
    }


@dataclass
class User:
    """A workspace member; the bot is one too (`is_bot`, `bot_id`)."""

    id: str
    name: str
    real_name: str
    display_name: str = ""
    locale: str = "en-US"
    tz: str = "UTC"
    is_admin: bool = False
    is_bot: bool = False
    bot_id: str | None = None
    email: str | None = None
    deleted: bool = False

    def to_slack(self, team_id: str, *, include_locale: bool = False) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "first_name": self.real_name.split(" ")[0],
            "last_name": " ".join(self.real_name.split(" ")[1:]),
            "status_text": "",
            "status_emoji": "",
            "image_72": f"https://avatars.example.invalid/{self.id}_72.png",
            "team": team_id,
        }
        if self.email:
            profile["email"] = self.email
        if self.bot_id:
            profile["bot_id"] = self.bot_id
        shaped: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            **_tz_fields(self.tz),
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "profile": profile,
        }
        if include_locale:
            shaped["locale"] = self.locale
        return shaped


@dataclass
class Channel:
    """A conversation: public/private channel, IM (bot and one user) or multi-person IM."""

    id: str
    name: str
    kind: ChannelKind
    created: int
    creator: str
    members: list[str] = field(default_factory=list)
    topic: str = ""
    purpose: str = ""
    is_archived: bool = False
    is_general: bool = False
    im_user: str | None = None

    @property
    def channel_type(self) -> str:
        """The `channel_type` field of message events ("channel", "group", "im", "mpim")."""
        return _CHANNEL_TYPE[self.kind]

    def to_slack(self, *, member_id: str, include_num_members: bool = True) -> dict[str, Any]:
        """The conversation object as `conversations.info` returns it to `member_id` (the bot)."""
        if self.kind == "im":
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        shaped: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": self.kind == "public",
            "is_group": self.kind == "private",
            "is_im": False,
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "public",
            "created": self.created,
            "creator": self.creator,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": member_id in self.members,
            "topic": {"value": self.topic, "creator": self.creator if self.topic else "", "last_set": 0},
            "purpose": {
                "value": self.purpose,
                "creator": self.creator if self.purpose else "",
                "last_set": 0,
            },
        }
        if include_num_members:
            shaped["num_members"] = len(self.members)
        return shaped


class Directory:
    """Users and conversations by id, with id minting. Not thread-safe: the workspace holds the lock."""

    def __init__(self, *, team_id: str) -> None:
        self.team_id = team_id
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self._counter = itertools.count(1)

    def mint_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._counter):07d}"

    def add_user(self, user: User) -> User:
        if user.id in self.users:
            raise ApiError("already_exists", f"user {user.id} already exists")
        self.users[user.id] = user
        return user

    def add_channel(self, channel: Channel) -> Channel:
        if channel.id in self.channels:
            raise ApiError("already_exists", f"channel {channel.id} already exists")
        if channel.kind in ("public", "private") and self.find_by_name(channel.name) is not None:
            raise ApiError("name_taken", f"a channel named {channel.name!r} already exists")
        self.channels[channel.id] = channel
        return channel

    def user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise ApiError("user_not_found", f"no user {user_id!r}")
        return user

    def find_by_name(self, name: str) -> Channel | None:
        name = name.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name and c.kind != "im"), None)

    def channel(self, ref: str) -> Channel:
        """Look up a conversation by id, or by name ("general", "#general")."""
        channel = self.channels.get(ref) or self.find_by_name(ref)
        if channel is None:
            raise ApiError("channel_not_found", f"no conversation {ref!r}")
        return channel

    def im_for(self, user_id: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.kind == "im" and c.im_user == user_id), None)

    def mpim_for(self, members: set[str]) -> Channel | None:
        return next(
            (c for c in self.channels.values() if c.kind == "mpim" and set(c.members) == members), None
        )


def mpim_name(names: list[str]) -> str:
    """Slack's synthetic name for a group DM: `mpdm-alice--bob--carol-1`."""
    return "mpdm-" + "--".join(re.sub(r"[^a-z0-9_.-]", "", n.lower()) for n in names) + "-1"
