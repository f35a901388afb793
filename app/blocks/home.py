"""Block Kit for Kiok's App Home: the user's channels with memory, their digests and recent decisions, the
user's memory opt-out, and buttons for common actions. Pure: data in, JSON out."""

from dataclasses import dataclass
from typing import Any

from app.blocks.digests import SECTION_TEXT_LIMIT, Block, clip, context, item, section, slack_date
from app.i18n import t
from memory.digest_store import ScheduleRecord
from summarizer.language import Language

MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab view
DECISIONS_SHOWN = 3
DECISION_CHARS = 150
DAILY_TIME = "09:00"  # what the "daily digest" button schedules

ACTION_REFRESH = "kiok_home_refresh"
ACTION_OPT_OUT = "kiok_home_opt_out"
ACTION_OPT_IN = "kiok_home_opt_in"
ACTION_DIGEST_NOW = "kiok_home_digest_now"
ACTION_DIGEST_DAILY = "kiok_home_digest_daily"
ACTION_DIGEST_OFF = "kiok_home_digest_off"
HOME_ACTIONS = (
    ACTION_REFRESH,
    ACTION_OPT_OUT,
    ACTION_OPT_IN,
    ACTION_DIGEST_NOW,
    ACTION_DIGEST_DAILY,
    ACTION_DIGEST_OFF,
)


@dataclass(frozen=True)
class HomeChannel:
    channel_id: str
    schedule: ScheduleRecord | None = None  # enabled schedules only
    last_digest: float | None = None  # Unix seconds of the last posted digest's coverage end
    decisions: tuple[str, ...] = ()  # newest first


@dataclass(frozen=True)
class HomeModel:
    language: Language
    opted_out: bool
    channels: tuple[HomeChannel, ...] = ()
    more_channels: int = 0
    notice: str | None = None  # the outcome of the last button press, already in `language`
    can_schedule: bool = False  # workspace admins may turn a channel's daily digest on and off


def button(text: str, action_id: str, value: str = "", *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, 75), "emoji": True},
        "action_id": action_id,
    }
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def _opt_out_button(lang: Language) -> Block:
    element = button(t("home_btn_opt_out", lang), ACTION_OPT_OUT, style="danger")
    element["confirm"] = {
        "title": {"type": "plain_text", "text": t("home_confirm_title", lang)},
        "text": {"type": "plain_text", "text": t("home_confirm_text", lang)},
        "confirm": {"type": "plain_text", "text": t("home_confirm_yes", lang)},
        "deny": {"type": "plain_text", "text": t("home_confirm_no", lang)},
        "style": "danger",
    }
    return element


def schedule_text(schedule: ScheduleRecord | None, lang: Language) -> str:
    if schedule is None or not schedule.enabled:
        return t("home_schedule_none", lang)
    if schedule.cadence == "weekly":
        weekday = t("home_weekdays", lang).split(",")[schedule.weekday]
        return t("home_schedule_weekly", lang, weekday=weekday, time=schedule.at_time, tz=schedule.timezone)
    return t("home_schedule_daily", lang, time=schedule.at_time, tz=schedule.timezone)


def _channel_blocks(ch: HomeChannel, lang: Language, *, can_schedule: bool) -> list[Block]:
    status = schedule_text(ch.schedule, lang)
    if ch.last_digest is not None:
        status += " · " + t("home_last_digest", lang, when=slack_date(ch.last_digest))
    decisions = [f"• {item(clip(d, DECISION_CHARS))}" for d in ch.decisions[:DECISIONS_SHOWN]]
    lines = [t("home_recent_decisions", lang), *decisions] if decisions else [t("home_no_decisions", lang)]
    buttons = [button(t("home_btn_digest_now", lang), ACTION_DIGEST_NOW, ch.channel_id, style="primary")]
    if can_schedule and ch.schedule is not None and ch.schedule.enabled:
        buttons.append(button(t("home_btn_digest_off", lang), ACTION_DIGEST_OFF, ch.channel_id))
    elif can_schedule:
        buttons.append(button(t("home_btn_daily", lang, time=DAILY_TIME), ACTION_DIGEST_DAILY, ch.channel_id))
    return [
        {"type": "divider"},
        section(f"*<#{ch.channel_id}>*\n{status}"),
        context(clip("\n".join(lines), SECTION_TEXT_LIMIT)),
        {
            "type": "actions",
            "block_id": f"kiok_home_channel_{ch.channel_id}",
            "elements": buttons,
        },
    ]


def home_view(model: HomeModel) -> dict[str, Any]:
    """The `views.publish` view (≤ 100 blocks)."""
    lang = model.language
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(t("home_title", lang), 150)}}
    ]
    if model.notice:
        blocks.append(context(model.notice))
    memory_state = t("home_opted_out", lang) if model.opted_out else t("home_remembering", lang)
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": memory_state},
            "accessory": button(t("home_btn_opt_in", lang), ACTION_OPT_IN, style="primary")
            if model.opted_out
            else _opt_out_button(lang),
        }
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": "kiok_home_top",
            "elements": [button(t("home_btn_refresh", lang), ACTION_REFRESH)],
        }
    )
    blocks.append(section(t("home_intro", lang) if model.channels else t("home_no_channels", lang)))
    shown = 0
    for ch in model.channels:
        chunk = _channel_blocks(ch, lang, can_schedule=model.can_schedule)
        if len(blocks) + len(chunk) + 1 > MAX_HOME_BLOCKS:  # keep room for the "more channels" note
            break
        blocks.extend(chunk)
        shown += 1
    hidden = model.more_channels + len(model.channels) - shown
    if hidden > 0:
        blocks.append(context(t("home_more_channels", lang, count=hidden)))
    return {"type": "home", "callback_id": "kiok_home", "blocks": blocks}


__all__ = [
    "ACTION_DIGEST_DAILY",
    "ACTION_DIGEST_NOW",
    "ACTION_DIGEST_OFF",
    "ACTION_OPT_IN",
    "ACTION_OPT_OUT",
    "ACTION_REFRESH",
    "DAILY_TIME",
    "HOME_ACTIONS",
    "MAX_HOME_BLOCKS",
    "HomeChannel",
    "HomeModel",
    "button",
    "home_view",
    "schedule_text",
]
