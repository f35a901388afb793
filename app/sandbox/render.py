"""Slack messages and views as terminal text: Block Kit, mrkdwn markup, links and a few emoji."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

Names = Callable[[str], str]

EMOJI = {
    "warning": "⚠️",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "x": "❌",
    "memo": "📝",
    "calendar": "📅",
    "spiral_calendar_pad": "🗓️",
    "link": "🔗",
    "pushpin": "📌",
    "bulb": "💡",
    "mag": "🔍",
    "rocket": "🚀",
    "tada": "🎉",
    "eyes": "👀",
    "thumbsup": "👍",
    "+1": "👍",
    "fire": "🔥",
    "lock": "🔒",
    "robot_face": "🤖",
    "brain": "🧠",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
}

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")


def mrkdwn(text: str, names: Names) -> str:
    """Slack markup made readable: `<@U…>` → @name, `<url|label>` → label (url), entities unescaped."""
    text = _USER.sub(lambda m: "@" + (m.group(2) or names(m.group(1))), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or names(m.group(1))), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(_link, text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return html.unescape(text)


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1).removeprefix("mailto:"), match.group(2)
    return f"{label} ({url})" if label and label != url else url


def message_text(message: dict[str, Any], names: Names) -> str:
    """What Slack shows for a message: its blocks when the app sent some, else its text."""
    blocks = message.get("blocks")
    if blocks and not all(b.get("type") == "rich_text" for b in blocks if isinstance(b, dict)):
        return blocks_text(blocks, names)
    return mrkdwn(str(message.get("text") or ""), names)


def blocks_text(blocks: list[dict[str, Any]], names: Names) -> str:
    """Block Kit as lines of text: buttons are [label], dividers a rule, context in parentheses."""
    lines: list[str] = []
    for block in blocks:
        rendered = _block(block, names) if isinstance(block, dict) else ""
        if rendered:
            lines.append(rendered)
    return "\n".join(lines)


def view_text(view: dict[str, Any], names: Names) -> str:
    title = _plain(view.get("title"), names)
    body = blocks_text(view.get("blocks") or [], names)
    return f"== {title} ==\n{body}" if title else body


def _plain(obj: Any, names: Names) -> str:
    """A text object (`plain_text` or `mrkdwn`) or a string."""
    if isinstance(obj, dict):
        return mrkdwn(str(obj.get("text") or ""), names)
    return mrkdwn(str(obj or ""), names)


def _element(element: dict[str, Any], names: Names) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{_plain(element.get('text'), names)}]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("static_select", "external_select", "users_select", "conversations_select", "overflow"):
        placeholder = _plain(element.get("placeholder"), names) or "…"
        return f"[{placeholder} ▾]"
    if kind in ("datepicker", "timepicker"):
        return f"[{element.get('initial_date') or element.get('initial_time') or kind}]"
    if kind in ("plain_text", "mrkdwn"):
        return _plain(element, names)
    if kind in ("checkboxes", "radio_buttons"):
        return " ".join(f"( ) {_plain(o.get('text'), names)}" for o in element.get("options") or [])
    if kind == "plain_text_input":
        return "[__________]"
    return f"[{kind}]"


def _block(block: dict[str, Any], names: Names) -> str:
    kind = block.get("type")
    if kind == "section":
        parts = [_plain(block.get("text"), names)] if block.get("text") else []
        fields = [_plain(f, names) for f in block.get("fields") or []]
        parts.extend(f"  {f}" for f in fields)
        if isinstance(block.get("accessory"), dict):
            parts.append("  " + _element(block["accessory"], names))
        return "\n".join(p for p in parts if p)
    if kind == "header":
        return f"*{_plain(block.get('text'), names)}*"
    if kind == "divider":
        return "─" * 40
    if kind == "context":
        return "  " + " · ".join(_element(e, names) for e in block.get("elements") or [])
    if kind == "actions":
        return " ".join(_element(e, names) for e in block.get("elements") or [])
    if kind == "image":
        return f"[image: {block.get('alt_text', '')}]"
    if kind == "input":
        return f"{_plain(block.get('label'), names)}: {_element(block.get('element') or {}, names)}"
    if kind == "rich_text":
        return "\n".join(_rich(e, names) for e in block.get("elements") or [])
    return f"[{kind} block]"


def _rich(element: dict[str, Any], names: Names) -> str:
    kind = element.get("type")
    children = element.get("elements") or []
    if kind == "rich_text_list":
        bullet = "1." if element.get("style") == "ordered" else "•"
        return "\n".join(f"{bullet} {_rich(c, names)}" for c in children)
    if kind == "rich_text_preformatted":
        return "```\n" + "".join(_inline(c, names) for c in children) + "\n```"
    if kind == "rich_text_quote":
        return "> " + "".join(_inline(c, names) for c in children)
    return "".join(_inline(c, names) for c in children)


def _inline(element: dict[str, Any], names: Names) -> str:
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text", ""))
    if kind == "link":
        url, label = str(element.get("url", "")), element.get("text")
        return f"{label} ({url})" if label and label != url else url
    if kind == "user":
        return "@" + names(str(element.get("user_id", "")))
    if kind == "channel":
        return "#" + names(str(element.get("channel_id", "")))
    if kind == "emoji":
        return EMOJI.get(str(element.get("name")), f":{element.get('name')}:")
    if kind == "broadcast":
        return "@" + str(element.get("range", ""))
    return ""


__all__ = ["EMOJI", "blocks_text", "message_text", "mrkdwn", "view_text"]
