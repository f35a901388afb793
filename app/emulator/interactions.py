"""Ephemeral messages, views (App Home and modals), trigger ids and response URLs."""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass
from typing import Any

from app.emulator import events
from app.emulator.errors import ApiError
from app.emulator.state import Workspace

__all__ = ["Interactions"]


@dataclass
class _ResponseTarget:
    channel_id: str
    user_id: str
    message_ts: str | None


class Interactions:
    """What people see besides channel messages, and the short-lived handles Slack gives apps for them.

    Trigger ids expire after `trigger_ttl` seconds of real time (Slack: 3 s), whatever the emulated clock.
    """

    def __init__(self, workspace: Workspace, *, trigger_ttl: float = 3.0) -> None:
        self.workspace = workspace
        self.trigger_ttl = trigger_ttl
        self.base_url = ""
        self._triggers: dict[str, tuple[str, float]] = {}
        self._targets: dict[str, _ResponseTarget] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._responses: list[dict[str, Any]] = []
        self._home: dict[str, dict[str, Any]] = {}
        self._modals: list[dict[str, Any]] = []
        self._views_by_id: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ handles

    def register_trigger(self, trigger_id: str, user_id: str) -> str:
        with self.workspace.lock:
            self._triggers[trigger_id] = (user_id, time.monotonic())
        return trigger_id

    def issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{int(time.time())}.{secrets.randbelow(10**11)}.{secrets.token_hex(16)}"
        return self.register_trigger(trigger_id, user_id)

    def check_trigger(self, trigger_id: str) -> str:
        """The user the trigger was issued for; `invalid_trigger_id` / `expired_trigger_id` otherwise."""
        with self.workspace.lock:
            found = self._triggers.get(trigger_id)
        if found is None:
            raise ApiError("invalid_trigger_id", trigger_id)
        user_id, issued = found
        if time.monotonic() - issued > self.trigger_ttl:
            raise ApiError("expired_trigger_id", trigger_id)
        return user_id

    def issue_response_url(self, *, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        key = secrets.token_hex(12)
        with self.workspace.lock:
            self._targets[key] = _ResponseTarget(channel_id, user_id, message_ts)
        return f"{self.base_url}/response/{key}"

    def respond(self, key: str, body: dict[str, Any], *, source: str = "response_url") -> bool:
        """Apply a POST to a response URL as Slack does; False when the URL is unknown."""
        ws = self.workspace
        with ws.lock:
            target = self._targets.get(key)
            if target is None:
                return False
            self._responses.append(
                {
                    "source": source,
                    "channel": target.channel_id,
                    "user": target.user_id,
                    "body": copy.deepcopy(body),
                }
            )
            text = str(body.get("text", ""))
            blocks = body.get("blocks")
            if target.message_ts and body.get("delete_original"):
                author = ws.store.raw(target.channel_id, target.message_ts).get("user", "")
                ws.delete(target.channel_id, target.message_ts, deleter=author)
            elif target.message_ts and body.get("replace_original"):
                author = ws.store.raw(target.channel_id, target.message_ts).get("user", "")
                ws.edit(target.channel_id, target.message_ts, editor=author, text=text, blocks=blocks)
            elif body.get("response_type") == "in_channel":
                ws.post(
                    target.channel_id,
                    ws.identity.bot_user_id,
                    text=text,
                    blocks=blocks,
                    thread_ts=body.get("thread_ts"),
                    allow_non_member=True,
                )
            else:
                self.post_ephemeral(
                    target.channel_id,
                    target.user_id,
                    text=text,
                    blocks=blocks,
                    thread_ts=body.get("thread_ts"),
                    source=source,
                )
            return True

    def responses(self) -> list[dict[str, Any]]:
        with self.workspace.lock:
            return copy.deepcopy(self._responses)

    # ------------------------------------------------------------------ payloads people cause

    def slash_command(self, *, command: str, text: str, user_id: str, channel_ref: str) -> dict[str, Any]:
        """The `slash_commands` payload for `user_id` running `command text` in `channel_ref`."""
        ws = self.workspace
        with ws.lock:
            channel = ws.channel(channel_ref)
            user = ws.directory.user(user_id)
        return events.slash_command_payload(
            ws.identity,
            command=command,
            text=text,
            user_id=user.id,
            user_name=user.name,
            channel_id=channel.id,
            channel_name="directmessage" if channel.kind == "im" else channel.name,
            response_url=self.issue_response_url(channel_id=channel.id, user_id=user.id),
            trigger_id=self.issue_trigger(user.id),
        )

    def complete_interactive(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A copy of an interactive payload with the fields Slack always sends filled in where missing."""
        ident = self.workspace.identity
        payload = dict(payload)
        user_id = str((payload.get("user") or {}).get("id", ""))
        payload.setdefault("team", {"id": ident.team_id, "domain": ident.team_domain})
        payload.setdefault("api_app_id", ident.app_id)
        payload.setdefault("token", ident.verification_token)
        payload.setdefault("is_enterprise_install", False)
        if "trigger_id" in payload:
            self.register_trigger(str(payload["trigger_id"]), user_id)
        elif user_id:
            payload["trigger_id"] = self.issue_trigger(user_id)
        channel_id = str((payload.get("channel") or {}).get("id", ""))
        if channel_id and user_id and "response_url" not in payload:
            message_ts = (payload.get("container") or {}).get("message_ts")
            payload["response_url"] = self.issue_response_url(
                channel_id=channel_id, user_id=user_id, message_ts=message_ts
            )
        return payload

    # ------------------------------------------------------------------ ephemeral messages

    def post_ephemeral(
        self,
        channel_ref: str,
        user_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        source: str = "chat.postEphemeral",
    ) -> dict[str, Any]:
        ws = self.workspace
        with ws.lock:
            channel = ws.channel(channel_ref)
            ws.directory.user(user_id)
            if user_id not in channel.members:
                raise ApiError("user_not_in_channel", f"{user_id} is not in {channel.id}")
            record: dict[str, Any] = {
                "type": "message",
                "subtype": "ephemeral",
                "channel": channel.id,
                "user": user_id,
                "text": text,
                "ts": ws.clock.next_ts(),
                "bot_id": ws.identity.bot_id,
                "source": source,
            }
            if blocks is not None:
                record["blocks"] = blocks
            if thread_ts:
                record["thread_ts"] = thread_ts
            self._ephemerals.append(record)
            return copy.deepcopy(record)

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        ws = self.workspace
        with ws.lock:
            channel_id = ws.channel(channel).id if channel else None
            return [
                copy.deepcopy(e)
                for e in self._ephemerals
                if (channel_id is None or e["channel"] == channel_id) and (user is None or e["user"] == user)
            ]

    # ------------------------------------------------------------------ views

    def _shape_view(self, view: dict[str, Any], *, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        if not isinstance(view, dict) or view.get("type") not in ("home", "modal"):
            raise ApiError("invalid_arguments", "view must be an object whose type is 'home' or 'modal'")
        ident = self.workspace.identity
        view_id = previous["id"] if previous else self.workspace.directory.mint_id("V")
        shaped = {
            "id": view_id,
            "team_id": ident.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": secrets.token_hex(8),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": previous["root_view_id"] if previous else view_id,
            "previous_view_id": None,
            "app_id": ident.app_id,
            "bot_id": ident.bot_id,
            "app_installed_team_id": ident.team_id,
        }
        for key in ("title", "close", "submit"):
            if key in view:
                shaped[key] = copy.deepcopy(view[key])
        self._views_by_id[view_id] = shaped
        return shaped

    def publish(self, user_id: str, view: dict[str, Any], *, view_hash: str | None = None) -> dict[str, Any]:
        """`views.publish`: replace `user_id`'s App Home."""
        ws = self.workspace
        with ws.lock:
            ws.directory.user(user_id)
            previous = self._home.get(user_id)
            if view_hash and previous is not None and previous["hash"] != view_hash:
                raise ApiError("hash_conflict", f"home of {user_id} changed since hash {view_hash}")
            shaped = self._shape_view(view, previous=previous)
            self._home[user_id] = shaped
            return copy.deepcopy(shaped)

    def open_modal(self, trigger_id: str, view: dict[str, Any], *, push: bool = False) -> dict[str, Any]:
        """`views.open` / `views.push`: needs a fresh trigger id."""
        user_id = self.check_trigger(trigger_id)
        with self.workspace.lock:
            shaped = self._shape_view(view)
            self._modals.append({"user": user_id, "trigger_id": trigger_id, "push": push, "view": shaped})
            return copy.deepcopy(shaped)

    def update_view(
        self, view_id: str | None, external_id: str | None, view: dict[str, Any]
    ) -> dict[str, Any]:
        """`views.update` by `view_id` or `external_id`."""
        with self.workspace.lock:
            previous = next(
                (
                    v
                    for v in self._views_by_id.values()
                    if (view_id and v["id"] == view_id) or (external_id and v["external_id"] == external_id)
                ),
                None,
            )
            if previous is None:
                raise ApiError("not_found", view_id or external_id or "")
            shaped = self._shape_view(view, previous=previous)
            for user_id, home in self._home.items():
                if home["id"] == shaped["id"]:
                    self._home[user_id] = shaped
            return copy.deepcopy(shaped)

    def home(self, user_id: str) -> dict[str, Any] | None:
        with self.workspace.lock:
            view = self._home.get(user_id)
            return copy.deepcopy(view) if view else None

    def modals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        with self.workspace.lock:
            return [copy.deepcopy(m) for m in self._modals if user_id is None or m["user"] == user_id]
