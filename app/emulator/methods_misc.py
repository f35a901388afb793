"""Web API methods about identity, people and surfaces: auth, apps, users, views, team, bots."""

from __future__ import annotations

from typing import Any

from app.emulator.errors import ApiError
from app.emulator.paging import page_by_id
from app.emulator.webapi import Ctx, Handler

__all__ = ["APP_TOKEN_METHODS", "MISC_METHODS"]

APP_TOKEN_METHODS = ("apps.connections.open",)


def auth_test(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    ident = ws.identity
    return {
        "url": f"https://{ident.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.bot.name,
        "team_id": ident.team_id,
        "user_id": ident.bot_user_id,
        "bot_id": ident.bot_id,
        "is_enterprise_install": False,
    }


def connections_open(ctx: Ctx) -> dict[str, Any]:
    ws_base = ctx.base_url.replace("http://", "ws://", 1)
    return {"url": f"{ws_base}/link/?ticket={ctx.hub.mint_ticket()}"}


def api_test(ctx: Ctx) -> dict[str, Any]:
    return {"args": dict(ctx.args)}


def users_info(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    with ws.lock:
        user = ws.directory.user(ctx.string("user"))
        return {"user": user.to_slack(ws.identity.team_id, include_locale=ctx.flag("include_locale"))}


def users_list(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    include_locale = ctx.flag("include_locale")
    with ws.lock:
        shaped = [
            u.to_slack(ws.identity.team_id, include_locale=include_locale)
            for u in ws.directory.users.values()
        ]
        cache_ts = int(ws.clock.now())
    limit = ctx.limit(len(shaped) or 1)
    chunk, next_cursor = page_by_id(shaped, cursor=ctx.string("cursor"), limit=limit, key=lambda u: u["id"])
    return {"members": chunk, "cache_ts": cache_ts, "response_metadata": {"next_cursor": next_cursor}}


def users_lookup_by_email(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    email = ctx.string("email").lower()
    with ws.lock:
        user = next((u for u in ws.directory.users.values() if u.email and u.email.lower() == email), None)
        if user is None:
            raise ApiError("users_not_found", email)
        return {"user": user.to_slack(ws.identity.team_id)}


def _view(ctx: Ctx) -> dict[str, Any]:
    view = ctx.structured("view")
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments", "view is required")
    return view


def views_publish(ctx: Ctx) -> dict[str, Any]:
    user_id = ctx.string("user_id")
    if not user_id:
        raise ApiError("invalid_arguments", "user_id is required")
    view_hash = ctx.string("hash") or None
    return {"view": ctx.interactions.publish(user_id, _view(ctx), view_hash=view_hash)}


def views_open(ctx: Ctx) -> dict[str, Any]:
    return {"view": ctx.interactions.open_modal(ctx.string("trigger_id"), _view(ctx))}


def views_push(ctx: Ctx) -> dict[str, Any]:
    return {"view": ctx.interactions.open_modal(ctx.string("trigger_id"), _view(ctx), push=True)}


def views_update(ctx: Ctx) -> dict[str, Any]:
    view_id = ctx.string("view_id") or None
    external_id = ctx.string("external_id") or None
    return {"view": ctx.interactions.update_view(view_id, external_id, _view(ctx))}


def team_info(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    ident = ws.identity
    return {
        "team": {
            "id": ident.team_id,
            "name": ws.team_name,
            "url": f"https://{ident.team_domain}.slack.com/",
            "domain": ident.team_domain,
            "email_domain": "",
            "icon": {"image_default": True},
            "is_verified": False,
        }
    }


def bots_info(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.workspace
    ident = ws.identity
    bot_id = ctx.string("bot") or ident.bot_id
    if bot_id != ident.bot_id:
        raise ApiError("bot_not_found", bot_id)
    return {
        "bot": {
            "id": ident.bot_id,
            "deleted": False,
            "name": ws.bot.name,
            "updated": 1_700_000_000,
            "app_id": ident.app_id,
            "user_id": ident.bot_user_id,
            "icons": {"image_36": "", "image_48": "", "image_72": ""},
        }
    }


MISC_METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "apps.connections.open": connections_open,
    "api.test": api_test,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
    "views.publish": views_publish,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "team.info": team_info,
    "bots.info": bots_info,
}
