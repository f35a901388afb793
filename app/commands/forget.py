"""Erasing memory: `/kiok forget …`, `/kiok optout`, `/kiok optin`, and the confirmation buttons.

Who may erase what:
- a message (`forget <link>`): its author or a Kiok admin (app/access.py); a thread
  (`forget thread <link>`): the author of its opening message or an admin (an admin only when Kiok never
  stored the opening message);
- `forget me` and `optout`: anyone, for their own messages; `forget channel`: admins only.
Broad erasures (`me`, `channel`, `optout`) first show a warning with Erase / Cancel buttons; rights are
checked again when the button is clicked, and only the person who asked can click it.
"""

import json
import logging
from typing import Any

from app.blocks.commands import CANCEL_ACTION, Payload, confirm_message, notice
from app.commands.context import CommandContext
from app.commands.parser import ParsedCommand, parse_forget, parse_no_args
from app.i18n import t

log = logging.getLogger(__name__)


def forget(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    target = parse_forget(parsed.args)
    language = ctx.language
    if target.scope == "me":
        return _confirm(ctx, "me")
    if target.scope == "channel":
        return _confirm(ctx, "channel") if ctx.is_admin() else notice(ctx.denied("cmd_denied_channel"))
    link = target.link
    assert link is not None  # parse_forget gives a link for message and thread scopes
    store = ctx.services.store
    if target.scope == "message":
        stored = store.get_message(ctx.team_id, link.channel, link.ts)
        author = stored.user_id if stored else None
    else:
        thread = store.thread(ctx.team_id, link.channel, link.root)
        stored = thread[0] if thread else None
        author = next((m.user_id for m in thread if m.ts == link.root), None)
    if author != ctx.user_id and not ctx.is_admin():
        # One answer whether or not the message exists: a link into a private channel must not tell a
        # non-member that something was said there at that time.
        return notice(ctx.denied("cmd_denied_message", one=True))
    if stored is None:
        return notice(t("cmd_forget_nothing", language))
    if target.scope == "message":
        result = ctx.services.memory.forget(ctx.team_id, channel_id=link.channel, ts=link.ts)
    else:
        result = ctx.services.memory.forget(ctx.team_id, channel_id=link.channel, thread_ts=link.root)
    log.info("%s erased %s %s/%s", ctx.user_id, target.scope, link.channel, link.ts)
    return notice(t("cmd_forgot", language, count=result.messages))


def optout(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    parse_no_args("optout", parsed.args)
    return _confirm(ctx, "optout")


def optin(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    parse_no_args("optin", parsed.args)
    ctx.services.memory.opt_in(ctx.team_id, ctx.user_id)
    return notice(t("cmd_opted_in", ctx.language))


def _confirm(ctx: CommandContext, scope: str) -> Payload:
    language = ctx.language
    if scope == "channel":
        count = ctx.services.store.count_messages(ctx.team_id, ctx.channel_id)
        prompt = t("cmd_confirm_channel", language, channel=ctx.channel_id, count=count)
    else:
        prompt = t("cmd_confirm_optout" if scope == "optout" else "cmd_confirm_me", language)
    button = t("cmd_button_optout" if scope == "optout" else "cmd_button_erase", language)
    value = {"scope": scope, "channel": ctx.channel_id, "user": ctx.user_id}
    return confirm_message(language, prompt, button=button, value=value)


def on_button(ctx: CommandContext, action: dict[str, Any]) -> Payload:
    """A click on Erase or Cancel under a confirmation; returns what replaces the confirmation."""
    language = ctx.language
    try:
        value = json.loads(str(action.get("value") or ""))
        scope, channel, user = str(value["scope"]), str(value["channel"]), str(value["user"])
    except (ValueError, KeyError, TypeError):
        log.warning("malformed forget button value: %r", action.get("value"))
        return notice(t("cmd_cancelled", language))
    if user != ctx.user_id:
        return notice(t("cmd_not_yours", language))
    if action.get("action_id") == CANCEL_ACTION:
        return notice(t("cmd_cancelled", language))
    memory = ctx.services.memory
    if scope == "optout":
        result = memory.opt_out(ctx.team_id, user)
        return notice(t("cmd_opted_out", language, count=result.messages))
    if scope == "me":
        result = memory.forget(ctx.team_id, user_id=user)
        return notice(t("cmd_forgot", language, count=result.messages))
    if scope == "channel" and ctx.is_admin():
        result = memory.forget(ctx.team_id, channel_id=channel)
        log.info("%s erased the memory of channel %s", user, channel)
        return notice(t("cmd_forgot_channel", language, channel=channel, count=result.messages))
    return notice(ctx.denied("cmd_denied_channel"))


__all__ = ["forget", "on_button", "optin", "optout"]
