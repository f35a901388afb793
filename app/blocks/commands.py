"""Block Kit for `/kiok` results and the message shortcuts. Pure: data in, payload dicts out.

Every payload goes through `message()`, which keeps Slack's limits: at most 50 blocks, section text at most
3,000 characters, header text at most 150, context at most 10 elements, and message text at most 4,000.
Text passed in is already Slack mrkdwn (escaped by the caller); these functions never add user content.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.i18n import t
from summarizer.language import Language

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
CONTEXT_ELEMENTS = 10
TEXT_LIMIT = 3900  # message text: Slack truncates past 4,000 characters
ITEM_LIMIT = 700  # one recalled memory or list entry, before it is cut with "…"

Block = dict[str, Any]
Payload = dict[str, Any]

CONFIRM_ACTION = "kiok_forget_confirm"
CANCEL_ACTION = "kiok_forget_cancel"


@dataclass(frozen=True)
class Entry:
    """One entry of a result list: mrkdwn `text`, and a meta line (`when` linked to `link`, `note`)."""

    text: str
    when: str = ""
    link: str | None = None
    note: str = ""
    struck: bool = False

    def meta(self) -> str:
        when = f"<{self.link}|{self.when}>" if self.link and self.when else self.when
        return " · ".join(p for p in (when, self.note) if p)


# --- primitives -----------------------------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT) or " "}}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, HEADER_LIMIT), "emoji": True}}


def context(*texts: str) -> Block:
    parts = [cut(x, SECTION_LIMIT) for x in texts if x][:CONTEXT_ELEMENTS]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": p} for p in parts or [" "]]}


def sections(text: str) -> list[Block]:
    """Long text as consecutive sections, split at paragraph or line boundaries."""
    blocks: list[Block] = []
    chunk = ""
    for line in text.splitlines() or [""]:
        while len(line) > SECTION_LIMIT:  # a single huge line: hard split
            if chunk:
                blocks.append(section(chunk))
                chunk = ""
            blocks.append(section(line[:SECTION_LIMIT]))
            line = line[SECTION_LIMIT:]
        if chunk and len(chunk) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(section(chunk))
            chunk = line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk.strip() or not blocks:
        blocks.append(section(chunk))
    return blocks


def bullets(entries: Sequence[Entry]) -> list[Block]:
    """Entries packed as `• text (meta)` lines into as few sections as the limit allows."""
    lines = []
    for e in entries:
        text = f"~{cut(e.text, ITEM_LIMIT)}~" if e.struck else cut(e.text, ITEM_LIMIT)
        lines.append(f"• {text}" + (f"  _({e.meta()})_" if e.meta() else ""))
    return sections("\n".join(lines)) if lines else []


def message(text: str, blocks: Sequence[Block] = (), *, public: bool = False) -> Payload:
    """A response payload within Slack's limits (extra blocks are dropped behind a '…' marker)."""
    kept = list(blocks)
    if len(kept) > MAX_BLOCKS:
        kept = [*kept[: MAX_BLOCKS - 1], context(f"… (+{len(blocks) - MAX_BLOCKS + 1})")]
    payload: Payload = {
        "response_type": "in_channel" if public else "ephemeral",
        "text": cut(text, TEXT_LIMIT),
    }
    if kept:
        payload["blocks"] = kept
    return payload


def notice(text: str, *, public: bool = False) -> Payload:
    return message(text, sections(text), public=public)


def day_label(moment: datetime, language: Language) -> str:
    """`Tue 04 Mar 2025` / `2025-03-04 (화)`, in the moment's own time zone."""
    day = t("cmd_weekdays", language).split(",")[moment.weekday()]
    if language == "ko":
        return f"{moment:%Y-%m-%d} ({day[0]})"
    return f"{day[:3]} {moment:%d} {moment:%b %Y}"


# --- help and errors ------------------------------------------------------------------------------------

USAGE: dict[str, str] = {
    "ask": "/kiok ask <question> [--share]",
    "recall": "/kiok recall <query> [--share]",
    "remember": "/kiok remember <fact>",
    "forget": "/kiok forget <message link> | thread <link> | me | channel",
    "decisions": "/kiok decisions [YYYY-MM-DD | 7d | 2w] [--share]",
    "brief": "/kiok brief [--share]",
    "catchup": "/kiok catchup",
    "digest": "/kiok digest now | daily HH:MM | weekly <day> HH:MM | off | status",
    "optout": "/kiok optout",
    "optin": "/kiok optin",
    "status": "/kiok status [--share]",
    "help": "/kiok help",
}


def help_message(language: Language, *, unknown: str = "") -> Payload:
    lines = [f"`{USAGE[name]}`\n{t(f'cmd_help_{name}', language)}" for name in USAGE]
    blocks = [header(t("cmd_help_title", language))]
    if unknown:
        blocks.insert(0, section(t("cmd_unknown", language, word=cut(unknown, 40))))
    blocks += [*sections("\n".join(lines)), context(t("cmd_help_footer", language))]
    fallback = t("cmd_unknown", language, word=cut(unknown, 40)) if unknown else t("cmd_help_title", language)
    return message(fallback, blocks)


def usage_message(language: Language, command: str, problem: str = "") -> Payload:
    """`problem` is an already-worded sentence saying what was wrong (empty: just the usage)."""
    text = t("cmd_usage", language, usage=USAGE[command], description=t(f"cmd_help_{command}", language))
    return notice(f"{problem}\n{text}" if problem else text)


# --- results ---------------------------------------------------------------------------------------------


def answer_message(
    language: Language, *, asker: str, question: str, answer: str, sources: Sequence[str], public: bool
) -> Payload:
    """An `ask` answer; shared answers say who asked what. `sources` are mrkdwn links."""
    blocks: list[Block] = []
    if public:
        blocks.append(context(t("cmd_ask_asked", language, user=asker, question=cut(question, 500))))
    blocks += sections(answer)
    if sources:
        blocks.append(context(f"*{t('cmd_sources', language)}:* " + " · ".join(sources)))
    return message(answer, blocks, public=public)


def recall_message(language: Language, query: str, hits: Sequence[Entry], *, public: bool) -> Payload:
    if not hits:
        return notice(t("cmd_recall_none", language, query=cut(query, 200)), public=public)
    title = t("cmd_recall_title", language, query=cut(query, 100))
    blocks: list[Block] = [header(title)]
    for hit in hits[: (MAX_BLOCKS - 1) // 2]:
        blocks += [section(cut(hit.text, ITEM_LIMIT)), context(hit.meta())]
    return message(title, blocks, public=public)


def list_message(
    title: str,
    groups: Sequence[tuple[str, Sequence[Entry]]],
    *,
    intro: str = "",
    footer: str = "",
    public: bool = False,
) -> Payload:
    """A titled result made of labelled lists (decisions, catch-up, thread summary); empty ones skipped."""
    blocks: list[Block] = [header(title), *(sections(intro) if intro else [])]
    for label, entries in groups:
        if entries:
            blocks += [*([section(f"*{label}*")] if label else []), *bullets(entries)]
    if footer:
        blocks.append(context(footer))
    return message(title, blocks, public=public)


def divider() -> Block:
    return {"type": "divider"}


def text_message(title: str, body: str, *, footer: str = "", public: bool = False) -> Payload:
    """A titled block of text (the brief, a summary)."""
    blocks = [header(title), *sections(body)]
    if footer:
        blocks.append(context(footer))
    return message(f"{title}\n{body}", blocks, public=public)


def fields_message(title: str, fields: Sequence[tuple[str, str]], *, public: bool = False) -> Payload:
    """Label/value pairs (status), two columns, ten per section as Slack allows."""
    blocks: list[Block] = [header(title)]
    for start in range(0, len(fields), 10):
        chunk = fields[start : start + 10]
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": cut(f"*{label}*\n{value}", 2000)} for label, value in chunk
                ],
            }
        )
    fallback = "\n".join(f"{label}: {value}" for label, value in fields)
    return message(f"{title}\n{fallback}", blocks, public=public)


def confirm_message(language: Language, prompt: str, *, button: str, value: dict[str, str]) -> Payload:
    """A warning with a danger button (carrying `value` as JSON) and a cancel button."""
    data = json.dumps(value, separators=(",", ":"))
    actions = {
        "type": "actions",
        "block_id": "kiok_forget",
        "elements": [
            {
                "type": "button",
                "action_id": CONFIRM_ACTION,
                "style": "danger",
                "text": {"type": "plain_text", "text": cut(button, 75)},
                "value": data,
            },
            {
                "type": "button",
                "action_id": CANCEL_ACTION,
                "text": {"type": "plain_text", "text": t("cmd_button_cancel", language)},
                "value": data,
            },
        ],
    }
    return message(prompt, [section(prompt), actions])


__all__ = [
    "CANCEL_ACTION",
    "CONFIRM_ACTION",
    "MAX_BLOCKS",
    "SECTION_LIMIT",
    "TEXT_LIMIT",
    "USAGE",
    "Block",
    "Entry",
    "Payload",
    "answer_message",
    "bullets",
    "confirm_message",
    "context",
    "cut",
    "day_label",
    "divider",
    "fields_message",
    "header",
    "help_message",
    "list_message",
    "message",
    "notice",
    "recall_message",
    "section",
    "sections",
    "text_message",
    "usage_message",
]
