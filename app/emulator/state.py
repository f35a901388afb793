"""The emulated workspace: users, conversations and messages, and the events their changes cause."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from app.emulator import events
from app.emulator.clock import Clock
from app.emulator.directory import Channel, ChannelKind, Directory, User, mpim_name
from app.emulator.errors import ApiError
from app.emulator.events import AppIdentity
from app.emulator.messages import MessageStore, rich_text_blocks

__all__ = ["EventSink", "Workspace"]

EventSink = Callable[[dict[str, Any]], None]


class Workspace:
    """All workspace state behind one re-entrant lock, shared by the Web API and the human helpers.

    Every change that real Slack would report to the app calls `emit(event)` (only for conversations the
    bot is a member of); the server wraps the event into an envelope and delivers it over Socket Mode.
    """

    def __init__(self, *, identity: AppIdentity, team_name: str, bot_name: str, clock: Clock) -> None:
        self.identity = identity
        self.team_name = team_name
        self.clock = clock
        self.lock = threading.RLock()
        self.directory = Directory(team_id=identity.team_id)
        self.store = MessageStore()
        self.emit: EventSink = lambda event: None
        self.bot = self.directory.add_user(
            User(
                id=identity.bot_user_id,
                name=bot_name,
                real_name=bot_name,
                display_name=bot_name,
                is_bot=True,
                bot_id=identity.bot_id,
            )
        )

    # ------------------------------------------------------------------ directory

    def add_user(self, user_id: str | None = None, **fields: Any) -> str:
        with self.lock:
            user = User(id=user_id or self.directory.mint_id("U"), **fields)
            return self.directory.add_user(user).id

    def humans(self) -> list[str]:
        with self.lock:
            return [u.id for u in self.directory.users.values() if not u.is_bot]

    def add_channel(
        self,
        name: str,
        *,
        kind: ChannelKind,
        members: Iterable[str] | None,
        bot_member: bool,
        topic: str = "",
        purpose: str = "",
    ) -> str:
        with self.lock:
            humans = list(self.humans() if members is None else members)
            for user_id in humans:
                self.directory.user(user_id)
            if kind == "im":
                if len(humans) != 1:
                    raise ApiError("invalid_arguments", "an IM is between the bot and exactly one user")
                return self.open_im(humans[0]).id
            prefix = "C" if kind == "public" else "G"
            if kind == "mpim":
                name = mpim_name([self.directory.user(u).name for u in humans])
            member_ids = humans + ([self.identity.bot_user_id] if bot_member or kind == "mpim" else [])
            channel = Channel(
                id=self.directory.mint_id(prefix),
                name=name.lstrip("#"),
                kind=kind,
                created=int(self.clock.now()),
                creator=humans[0] if humans else self.identity.bot_user_id,
                members=list(dict.fromkeys(member_ids)),
                topic=topic,
                purpose=purpose,
                is_general=name == "general",
            )
            return self.directory.add_channel(channel).id

    def open_im(self, user_id: str) -> Channel:
        """The bot's IM with `user_id`, created on first use."""
        with self.lock:
            existing = self.directory.im_for(user_id)
            if existing is not None:
                return existing
            self.directory.user(user_id)
            channel = Channel(
                id=self.directory.mint_id("D"),
                name=user_id,
                kind="im",
                created=int(self.clock.now()),
                creator=user_id,
                members=[user_id, self.identity.bot_user_id],
                im_user=user_id,
            )
            return self.directory.add_channel(channel)

    def open_mpim(self, user_ids: list[str]) -> Channel:
        with self.lock:
            existing = self.directory.mpim_for({*user_ids, self.identity.bot_user_id})
            if existing is not None:
                return existing
            return self.channel(self.add_channel("", kind="mpim", members=user_ids, bot_member=True))

    def channel(self, ref: str) -> Channel:
        with self.lock:
            return self.directory.channel(ref)

    def is_bot_member(self, channel: Channel) -> bool:
        return self.identity.bot_user_id in channel.members

    def join(self, channel_ref: str, user_id: str, *, deliver: bool = True) -> Channel:
        """`user_id` joins: a `channel_join` message is posted and `member_joined_channel` delivered."""
        with self.lock:
            channel = self.channel(channel_ref)
            user = self.directory.user(user_id)
            if channel.kind in ("im", "mpim"):
                raise ApiError("method_not_supported_for_channel_type", channel.id)
            if channel.is_archived:
                raise ApiError("is_archived", channel.id)
            if user_id in channel.members:
                return channel
            channel.members.append(user_id)
            message = self._new_message(user, text=f"<@{user_id}> has joined the channel", blocks=None)
            message["subtype"] = "channel_join"
            message.pop("blocks", None)
            message.pop("client_msg_id", None)
            self.store.add(channel.id, message)
            if deliver and self.is_bot_member(channel):
                event_ts = self.clock.next_ts()
                self.emit(
                    events.member_joined_event(
                        channel, user_id, team_id=self.identity.team_id, event_ts=event_ts
                    )
                )
                self.emit(events.message_event(channel, message))
            return channel

    # ------------------------------------------------------------------ messages

    def _new_message(self, user: User, *, text: str, blocks: list[dict[str, Any]] | None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": user.id,
            "text": text,
            "ts": self.clock.next_ts(),
        }
        if user.is_bot:
            message.update(bot_id=self.identity.bot_id, app_id=self.identity.app_id)
            message["bot_profile"] = {
                "id": self.identity.bot_id,
                "app_id": self.identity.app_id,
                "name": user.name,
                "deleted": False,
                "team_id": self.identity.team_id,
            }
            if blocks is not None:
                message["blocks"] = blocks
        else:
            message["client_msg_id"] = str(uuid.uuid4())
            message["blocks"] = blocks if blocks is not None else rich_text_blocks(text)
        message["team"] = self.identity.team_id
        return message

    def post(
        self,
        channel_ref: str,
        user_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        extra: dict[str, Any] | None = None,
        deliver: bool = True,
        allow_non_member: bool = False,
    ) -> tuple[Channel, dict[str, Any]]:
        """Store a message by `user_id` (a person or the bot) and deliver the events Slack would send."""
        with self.lock:
            channel = self.channel(channel_ref)
            user = self.directory.user(user_id)
            if user_id not in channel.members and not allow_non_member:
                raise ApiError("not_in_channel", f"{user_id} is not a member of {channel.id}")
            if channel.is_archived:
                raise ApiError("is_archived", channel.id)
            message = self._new_message(user, text=text, blocks=blocks)
            message.update(extra or {})
            if thread_ts:
                root = self.store.root_ts(channel.id, thread_ts)
                message["thread_ts"] = root
                message["parent_user_id"] = self.store.raw(channel.id, root).get("user")
                if reply_broadcast:
                    message["subtype"] = "thread_broadcast"
                    message["root"] = self.store.shape(channel.id, self.store.raw(channel.id, root))
            self.store.add(channel.id, message)
            shaped = self.store.shape(channel.id, message)
            if deliver and self.is_bot_member(channel):
                self.emit(events.message_event(channel, shaped))
                mentioned = f"<@{self.identity.bot_user_id}>" in text
                if mentioned and not user.is_bot and channel.kind != "im":
                    self.emit(events.mention_event(channel, shaped))
            return channel, shaped

    def edit(
        self,
        channel_ref: str,
        ts: str,
        *,
        editor: str,
        text: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        deliver: bool = True,
    ) -> tuple[Channel, dict[str, Any]]:
        """Change a message's text/blocks; only its author may. Delivers `message_changed`."""
        with self.lock:
            channel = self.channel(channel_ref)
            raw = self.store.raw(channel.id, ts)
            if raw.get("user") != editor:
                raise ApiError("cant_update_message", f"{editor} is not the author of {ts}")
            previous = self.store.shape(channel.id, raw)
            if text is not None:
                raw["text"] = text
                if not self.directory.user(editor).is_bot and blocks is None:
                    raw["blocks"] = rich_text_blocks(text)
            if blocks is not None:
                raw["blocks"] = blocks
            raw["edited"] = {"user": editor, "ts": self.clock.next_ts()}
            shaped = self.store.shape(channel.id, raw)
            if deliver and self.is_bot_member(channel):
                self.emit(events.changed_event(channel, shaped, previous, event_ts=raw["edited"]["ts"]))
            return channel, shaped

    def delete(
        self, channel_ref: str, ts: str, *, deleter: str, deliver: bool = True
    ) -> tuple[Channel, dict[str, Any]]:
        """Delete a message; only its author may. Delivers `message_deleted`. Returns the old message."""
        with self.lock:
            channel = self.channel(channel_ref)
            if self.store.raw(channel.id, ts).get("user") != deleter:
                raise ApiError("cant_delete_message", f"{deleter} is not the author of {ts}")
            previous = self.store.remove(channel.id, ts)
            if deliver and self.is_bot_member(channel):
                self.emit(events.deleted_event(channel, previous, event_ts=self.clock.next_ts()))
            return channel, previous

    def react(
        self, channel_ref: str, ts: str, user_id: str, name: str, *, add: bool = True, deliver: bool = True
    ) -> None:
        """Add (or remove) a reaction; delivers `reaction_added` / `reaction_removed`."""
        name = name.strip(":")
        with self.lock:
            channel = self.channel(channel_ref)
            self.directory.user(user_id)
            if add:
                self.store.add_reaction(channel.id, ts, user_id, name)
            else:
                self.store.remove_reaction(channel.id, ts, user_id, name)
            if deliver and self.is_bot_member(channel):
                kind = "reaction_added" if add else "reaction_removed"
                item_user = self.store.raw(channel.id, ts).get("user")
                self.emit(
                    events.reaction_event(
                        kind,
                        user_id=user_id,
                        name=name,
                        channel_id=channel.id,
                        ts=ts,
                        item_user=item_user,
                        event_ts=self.clock.next_ts(),
                    )
                )

    def messages(self, channel_ref: str) -> list[dict[str, Any]]:
        with self.lock:
            return self.store.top_level(self.channel(channel_ref).id)

    def thread(self, channel_ref: str, thread_ts: str) -> list[dict[str, Any]]:
        with self.lock:
            return self.store.thread(self.channel(channel_ref).id, thread_ts)
