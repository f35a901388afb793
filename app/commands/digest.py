"""`/kiok digest now | daily HH:MM | weekly <day> HH:MM | off | status`: arguments are parsed and checked
here; the work is done by the digest service (`services.digests`, built separately) when it exists.

Anyone may post a digest now or ask for the schedule; only Kiok admins (app/access.py) may change it.
Schedules use the asker's Slack time zone (else the summaries' one). `post_now` returns the digest's ts
(None: one was already posted this minute); `status` returns something schedule-like (`cadence`,
`weekday`, `at_time`, `timezone`, `enabled`, `next_run`, as attributes or keys) or None. The service's
errors (a refused time zone, Slack refusing the post) are shown to the asker with the service's own message.
"""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient

from app.blocks.commands import Payload, notice
from app.commands.context import CommandContext
from app.commands.parser import DigestRequest, ParsedCommand, parse_digest
from app.i18n import t
from summarizer.language import Language

log = logging.getLogger(__name__)


class DigestService(Protocol):
    """What `/kiok digest` needs from `services.digests`."""

    def post_now(self, client: WebClient, team_id: str, channel_id: str) -> Any: ...

    def set_schedule(
        self,
        team_id: str,
        channel_id: str,
        cadence: str,
        weekday: int,
        at_time: str,
        tz: str,
        user: str,
    ) -> Any: ...

    def disable(self, team_id: str, channel_id: str) -> Any: ...

    def status(self, team_id: str, channel_id: str) -> Any: ...


def digest(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    request = parse_digest(parsed.args)
    language = ctx.language
    service: DigestService | None = getattr(ctx.services, "digests", None)
    if service is None:
        return notice(t("cmd_digest_unavailable", language))
    if request.action in ("schedule", "off") and not ctx.is_admin():
        return notice(ctx.denied("cmd_denied_digest"))
    try:
        return notice(_run(ctx, service, request))
    except Exception as exc:  # another service's boundary: its messages say what went wrong
        log.warning("digest %s in %s failed: %s", request.action, ctx.channel_id, exc, exc_info=True)
        return notice(t("cmd_digest_failed", language, detail=str(exc)))


def _run(ctx: CommandContext, service: DigestService, request: DigestRequest) -> str:
    team, channel, language = ctx.team_id, ctx.channel_id, ctx.language
    if request.action == "now":
        ts = service.post_now(ctx.client, team, channel)
        if not ts:
            return t("cmd_digest_already", language)
        link = ctx.permalink(channel, str(ts))
        return t("cmd_digest_posted", language) + (
            f" <{link}|{t('cmd_digest_open', language)}>" if link else ""
        )
    if request.action == "off":
        service.disable(team, channel)
        return t("cmd_digest_off", language)
    if request.action == "status":
        return describe(language, service.status(team, channel))
    tz = ctx.tz_name
    service.set_schedule(team, channel, request.cadence, request.weekday, request.at_time, tz, ctx.user_id)
    return describe(
        language,
        {"cadence": request.cadence, "weekday": request.weekday, "at_time": request.at_time, "timezone": tz},
    )


def describe(language: Language, schedule: Any) -> str:
    """A schedule (object, mapping, text or None) in words."""
    if schedule is None:
        return t("cmd_digest_none", language)
    if isinstance(schedule, str):
        return schedule
    fields: dict[str, Any] = (
        dict(schedule)
        if isinstance(schedule, Mapping)
        else {
            k: getattr(schedule, k, None)
            for k in ("cadence", "weekday", "at_time", "timezone", "enabled", "next_run")
        }
    )
    if fields.get("enabled") is False:
        return t("cmd_digest_off", language)
    at, tz = str(fields.get("at_time") or ""), str(fields.get("timezone") or fields.get("tz") or "UTC")
    if fields.get("cadence") == "daily":
        text = t("cmd_digest_daily", language, time=at, tz=tz)
    elif fields.get("cadence") == "weekly":
        day = t("cmd_weekdays", language).split(",")[int(fields.get("weekday") or 0) % 7]
        text = t("cmd_digest_weekly", language, day=day, time=at, tz=tz)
    else:
        return t("cmd_digest_none", language)
    next_run = fields.get("next_run")
    if isinstance(next_run, datetime):
        text += " " + t("cmd_digest_next", language, when=f"{next_run:%Y-%m-%d %H:%M %Z}".strip())
    return text


__all__ = ["DigestService", "describe", "digest"]
