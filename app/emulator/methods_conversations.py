"""Web API methods that read or change conversations: conversations.*."""

from __future__ import annotations

from typing import Any

from app.emulator.clock import ts_key
from app.emulator.directory import Channel
from app.emulator.errors import ApiError
from app.emulator.paging import page_by_id, page_by_ts
from app.emulator.webapi import Ctx, Handler

__all__ = ["CONVERSATION_METHODS"]

_TYPE_OF_KIND = {"public": "public_channel", "private": "private_channel", "im": "im", "mpim": "mpim"}


def _visible(ctx: Ctx) -> Channel:
    """The conversation in `channel`, as long as the bot can see it (private ones only as a member)."""
    ref = ctx.string("channel")
    if not ref:
        raise ApiError("channel_not_found", "channel is required")
    channel = ctx.workspace.channel(ref)
    if channel.kind != "public" and not ctx.workspace.is_bot_member(channel):
        raise ApiError("channel_not_found", f"the bot cannot see {channel.id}")
    return channel


def _readable(ctx: Ctx) -> Channel:
    channel = _visible(ctx)
    if not ctx.workspace.is_bot_member(channel):
        raise ApiError("not_in_channel", f"the bot is not a member of {channel.id}")
    return channel


def _window(ctx: Ctx, messages: list[dict[str, Any]], *, now: float) -> list[dict[str, Any]]:
    """Messages between `oldest` and `latest` (exclusive unless `inclusive`)."""
    oldest = ts_key(ctx.string("oldest") or "0")
    latest = ts_key(ctx.string("latest") or f"{now + 1:.6f}")
    inclusive = ctx.flag("inclusive")

    def inside(message: dict[str, Any]) -> bool:
        key = ts_key(message["ts"])
        if inclusive:
            return oldest <= key <= latest
        return oldest < key < latest

    return [m for m in messages if inside(m)]


def _paged(next_cursor: str) -> dict[str, Any]:
    return {"has_more": bool(next_cursor), "response_metadata": {"next_cursor": next_cursor}}


def history(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    with ws.lock:
        channel = _readable(ctx)
        messages = _window(ctx, ws.store.top_level(channel.id), now=ws.clock.now())
    messages.reverse()
    chunk, next_cursor = page_by_ts(
        messages, cursor=ctx.string("cursor"), limit=ctx.limit(100, 999), newest_first=True
    )
    return {
        "messages": chunk,
        **_paged(next_cursor),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }


def replies(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    thread_ts = ctx.string("ts")
    if not thread_ts:
        raise ApiError("thread_not_found", "ts is required")
    with ws.lock:
        channel = _readable(ctx)
        messages = _window(ctx, ws.store.thread(channel.id, thread_ts), now=ws.clock.now())
    limit = ctx.limit(1000)
    chunk, next_cursor = page_by_ts(messages, cursor=ctx.string("cursor"), limit=limit, newest_first=False)
    return {"messages": chunk, **_paged(next_cursor)}


def info(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    with ws.lock:
        channel = _visible(ctx)
        shaped = channel.to_slack(
            member_id=ws.identity.bot_user_id, include_num_members=ctx.flag("include_num_members", True)
        )
    return {"channel": shaped}


def members(ctx: Ctx) -> dict[str, Any]:
    with ctx.workspace.lock:
        ids = list(_visible(ctx).members)
    chunk, next_cursor = page_by_id(ids, cursor=ctx.string("cursor"), limit=ctx.limit(100), key=str)
    return {"members": chunk, "response_metadata": {"next_cursor": next_cursor}}


def list_conversations(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    wanted = {t.strip() for t in (ctx.string("types") or "public_channel").split(",") if t.strip()}
    unknown = wanted - set(_TYPE_OF_KIND.values())
    if unknown:
        raise ApiError("invalid_types", ",".join(sorted(unknown)))
    exclude_archived = ctx.flag("exclude_archived")
    bot = ws.identity.bot_user_id
    with ws.lock:
        shaped = [
            c.to_slack(member_id=bot)
            for c in ws.directory.channels.values()
            if _TYPE_OF_KIND[c.kind] in wanted
            and (c.kind == "public" or ws.is_bot_member(c))
            and not (exclude_archived and c.is_archived)
        ]
    chunk, next_cursor = page_by_id(
        shaped, cursor=ctx.string("cursor"), limit=ctx.limit(100), key=lambda c: c["id"]
    )
    return {"channels": chunk, "response_metadata": {"next_cursor": next_cursor}}


def user_conversations(ctx: Ctx) -> dict[str, Any]:
    """users.conversations for the bot: the conversations it is a member of."""
    ws = ctx.workspace
    wanted = {t.strip() for t in (ctx.string("types") or "public_channel").split(",") if t.strip()}
    unknown = wanted - set(_TYPE_OF_KIND.values())
    if unknown:
        raise ApiError("invalid_types", ",".join(sorted(unknown)))
    bot = ws.identity.bot_user_id
    with ws.lock:
        shaped = [
            c.to_slack(member_id=bot)
            for c in ws.directory.channels.values()
            if _TYPE_OF_KIND[c.kind] in wanted
            and ws.is_bot_member(c)
            and not (ctx.flag("exclude_archived") and c.is_archived)
        ]
    chunk, next_cursor = page_by_id(
        shaped, cursor=ctx.string("cursor"), limit=ctx.limit(100), key=lambda c: c["id"]
    )
    return {"channels": chunk, "response_metadata": {"next_cursor": next_cursor}}


def join(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    with ws.lock:
        channel = _visible(ctx)
        if channel.kind != "public":
            raise ApiError("method_not_supported_for_channel_type", channel.id)
        already = ws.is_bot_member(channel)
        ws.join(channel.id, ws.identity.bot_user_id)
        result: dict[str, Any] = {"channel": channel.to_slack(member_id=ws.identity.bot_user_id)}
    if already:
        result["warning"] = "already_in_channel"
        result["response_metadata"] = {"warnings": ["already_in_channel"]}
    return result


def leave(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    with ws.lock:
        channel = _visible(ctx)
        if channel.kind == "im":
            raise ApiError("method_not_supported_for_channel_type", channel.id)
        if not ws.is_bot_member(channel):
            return {"not_in_channel": True}
        channel.members.remove(ws.identity.bot_user_id)
    return {}


def open_conversation(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    users = [u.strip() for u in ctx.string("users").split(",") if u.strip()]
    with ws.lock:
        if ctx.string("channel"):
            channel = _visible(ctx)
        elif len(users) == 1:
            channel = ws.open_im(users[0])
        elif users:
            channel = ws.open_mpim(users)
        else:
            raise ApiError("users_list_not_supplied", "users or channel is required")
        if ctx.flag("return_im"):
            return {"channel": channel.to_slack(member_id=ws.identity.bot_user_id)}
    return {"channel": {"id": channel.id}}


CONVERSATION_METHODS: dict[str, Handler] = {
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.info": info,
    "conversations.members": members,
    "conversations.list": list_conversations,
    "conversations.join": join,
    "conversations.leave": leave,
    "conversations.open": open_conversation,
    "users.conversations": user_conversations,
}
