"""Slack markup in and out: readable text for the model, and replies split within Slack's limits."""

import html
import re
from collections.abc import Callable

MESSAGE_TEXT_LIMIT = 3900  # Slack truncates message text past 4,000 characters; keep headroom

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def to_plain_text(text: str, user_name: Callable[[str], str]) -> str:
    """Replace Slack's `<@U…>`, `<#C…|name>`, `<url|label>` markup and HTML escapes with plain text."""
    text = _USER.sub(lambda m: "@" + (m.group(2) or user_name(m.group(1))), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _SUBTEAM.sub(lambda m: m.group(1) or "@group", text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(_link, text)
    return html.unescape(text).strip()


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    url = url.removeprefix("mailto:")
    return f"{label} ({url})" if label and label != url else url


def strip_mention(text: str, bot_user_id: str) -> str:
    """The question without the leading `<@BOT>` that addressed it."""
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text).strip()


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves, for model output posted as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_message(text: str, limit: int = MESSAGE_TEXT_LIMIT) -> list[str]:
    """Split `text` into chunks of at most `limit` characters, preferring paragraph, line, then word
    boundaries, and never leaving a code fence open across a split."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n")
        if head.count("```") % 2 == 1:  # close the fence here and reopen it in the next chunk
            head += "\n```"
            rest = "```\n" + rest
        chunks.append(head)
    if rest.strip() or not chunks:
        chunks.append(rest)
    return chunks


def _cut_point(text: str, limit: int) -> int:
    window = text[: limit - 8]  # leave room for a closing fence
    for sep in ("\n\n", "\n", ". ", " "):
        at = window.rfind(sep)
        if at > limit // 2:
            return at + len(sep)
    return len(window)


__all__ = ["MESSAGE_TEXT_LIMIT", "escape", "split_message", "strip_mention", "to_plain_text"]
