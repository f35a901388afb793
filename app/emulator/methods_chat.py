"""Web API methods that write messages: chat.*, reactions.*."""

from __future__ import annotations

import re
from typing import Any

from app.emulator.directory import Channel
from app.emulator.errors import ApiError
from app.emulator.webapi import Ctx, Handler

__all__ = ["CHAT_METHODS", "MAX_BLOCKS", "MAX_TEXT", "permalink"]

MAX_TEXT = 40_000
MAX_BLOCKS = 50
_EXTRA_FIELDS = ("attachments", "metadata", "username", "icon_emoji", "icon_url")


def _content(ctx: Ctx, *, required: bool = True) -> tuple[str, list[dict[str, Any]] | None]:
    """`text` and `blocks` checked against Slack's limits."""
    text = ctx.string("text")
    blocks = ctx.structured("blocks", error="invalid_blocks")
    if blocks is not None:
        if not isinstance(blocks, list) or any(not isinstance(b, dict) or "type" not in b for b in blocks):
            raise ApiError("invalid_blocks", "blocks must be a list of objects with a type")
        if len(blocks) > MAX_BLOCKS:
            raise ApiError("invalid_blocks", f"{len(blocks)} blocks; at most {MAX_BLOCKS} are allowed")
    if len(text) > MAX_TEXT:
        raise ApiError("msg_too_long", f"text has {len(text)} characters; the limit is {MAX_TEXT}")
    if required and not text and not blocks and not ctx.args.get("attachments"):
        raise ApiError("no_text", "text, blocks or attachments is required")
    return text, blocks


def _target(ctx: Ctx, name: str = "channel") -> Channel:
    """The conversation named by `name`; a user id means the bot's IM with that user, as in Slack."""
    ref = ctx.string(name)
    if not ref:
        raise ApiError("channel_not_found", f"{name} is required")
    ws = ctx.workspace
    if ref[0] in "UW" and ref in ws.directory.users:
        return ws.open_im(ref)
    return ws.channel(ref)


def _bot_member(ctx: Ctx, channel: Channel) -> None:
    if not ctx.workspace.is_bot_member(channel):
        raise ApiError("not_in_channel", f"the bot is not a member of {channel.id}")


def _pick_extra(ctx: Ctx) -> dict[str, Any]:
    """Optional message fields stored as given (attachments and metadata may arrive JSON-encoded)."""
    structured = ("attachments", "metadata")
    return {
        k: ctx.structured(k) if k in structured else ctx.args[k]
        for k in _EXTRA_FIELDS
        if ctx.args.get(k) not in (None, "")
    }


def post_message(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    with ws.lock:
        channel = _target(ctx)
        _bot_member(ctx, channel)
        text, blocks = _content(ctx)
        channel, message = ws.post(
            channel.id,
            ws.identity.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=ctx.string("thread_ts") or None,
            reply_broadcast=ctx.flag("reply_broadcast"),
            extra=_pick_extra(ctx),
        )
    return {"channel": channel.id, "ts": message["ts"], "message": message}


def update(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    channel = _target(ctx)
    ts = ctx.string("ts")
    if not ts:
        raise ApiError("message_not_found", "ts is required")
    text, blocks = _content(ctx)
    channel, message = ws.edit(
        channel.id,
        ts,
        editor=ws.identity.bot_user_id,
        text=text if "text" in ctx.args else None,
        blocks=blocks,
    )
    return {"channel": channel.id, "ts": ts, "text": message.get("text", ""), "message": message}


def delete(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    channel = _target(ctx)
    ts = ctx.string("ts")
    if not ts:
        raise ApiError("message_not_found", "ts is required")
    channel, _previous = ws.delete(channel.id, ts, deleter=ws.identity.bot_user_id)
    return {"channel": channel.id, "ts": ts}


def post_ephemeral(ctx: Ctx) -> dict[str, Any]:
    channel = _target(ctx)
    _bot_member(ctx, channel)
    user = ctx.string("user")
    if not user:
        raise ApiError("user_not_found", "user is required")
    text, blocks = _content(ctx)
    record = ctx.interactions.post_ephemeral(
        channel.id, user, text=text, blocks=blocks, thread_ts=ctx.string("thread_ts") or None
    )
    return {"message_ts": record["ts"]}


def permalink(team_domain: str, channel_id: str, ts: str, thread_ts: str | None) -> str:
    """Slack's permalink shape: `https://<domain>.slack.com/archives/<C>/p<ts without dot>`."""
    link = f"https://{team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link


def get_permalink(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    with ws.lock:
        channel = _target(ctx)
        ts = ctx.string("message_ts")
        raw = ws.store.raw(channel.id, ts)
        link = permalink(ws.identity.team_domain, channel.id, ts, raw.get("thread_ts"))
    return {"channel": channel.id, "permalink": link}


def _reaction(ctx: Ctx, *, add: bool) -> dict[str, Any]:
    channel_ref, ts = ctx.string("channel"), ctx.string("timestamp")
    if not channel_ref or not ts:
        raise ApiError("no_item_specified", "channel and timestamp are required")
    name = ctx.string("name").strip(":")
    if not name or not re.fullmatch(r"[a-z0-9_+'-]+(::skin-tone-[2-6])?", name):
        raise ApiError("invalid_name", name)
    ctx.workspace.react(channel_ref, ts, ctx.workspace.identity.bot_user_id, name, add=add)
    return {}


def reactions_add(ctx: Ctx) -> dict[str, Any]:
    return _reaction(ctx, add=True)


def reactions_remove(ctx: Ctx) -> dict[str, Any]:
    return _reaction(ctx, add=False)


CHAT_METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
}
