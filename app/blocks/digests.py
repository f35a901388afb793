"""Block Kit for a channel digest within Slack's limits, with a plain-text fallback. Pure: data in, JSON."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.i18n import t
from app.slack_text import escape
from summarizer.language import Language

MAX_BLOCKS = 50  # Slack's limit for a message
SECTION_TEXT_LIMIT = 3000  # a section's text
TEXT_LIMIT = 4000  # a message's `text`
FALLBACK_LIMIT = 3900  # what we use of it, with headroom
MAX_LINES = 10  # items shown per heading; the rest are counted
ITEM_CHARS = 300  # one item's text

Block = dict[str, Any]

# --- what a digest says (gathered by app/digests/content.py) ---------------------------------------


@dataclass(frozen=True)
class DecisionLine:
    text: str
    link: str | None = None


@dataclass(frozen=True)
class Reversal:
    """A decision superseded during the period: what it was and what replaced it."""

    old: str
    new: str
    link: str | None = None


@dataclass(frozen=True)
class ActionLine:
    text: str
    owner: str = ""
    due: str = ""  # YYYY-MM-DD or ""
    done: bool = False
    overdue: bool = False
    link: str | None = None


@dataclass(frozen=True)
class QuestionLine:
    text: str
    answered: bool = False
    link: str | None = None


@dataclass(frozen=True)
class ThreadLine:
    label: str
    replies: int
    link: str | None = None


@dataclass(frozen=True)
class DigestContent:
    """A channel's changes in (since, until]; `since`/`until` are Unix seconds."""

    channel_id: str
    language: Language
    since: float
    until: float
    messages: int = 0
    people: int = 0
    decisions: tuple[DecisionLine, ...] = ()
    reversals: tuple[Reversal, ...] = ()
    actions: tuple[ActionLine, ...] = ()
    questions: tuple[QuestionLine, ...] = ()
    threads: tuple[ThreadLine, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing happened: no messages and no change to decisions, action items or questions."""
        return not (
            self.messages
            or self.decisions
            or self.reversals
            or self.actions
            or self.questions
            or self.threads
        )


# --- Block Kit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlackMessage:
    """`chat.postMessage` content: `text` is the notification/plain-text fallback of `blocks`."""

    text: str
    blocks: list[Block]


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_TEXT_LIMIT)}]}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def item(text: str) -> str:
    """Channel content as safe mrkdwn: escaped (no pings, no fake links), one line, bounded."""
    return escape(clip(" ".join(text.split()), ITEM_CHARS))


def link(url: str | None, label: str) -> str:
    return f"<{url}|{label}>" if url else label


def slack_date(seconds: float) -> str:
    """A date Slack shows in each reader's own time zone (UTC in the fallback)."""
    fallback = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(seconds)}^{{date_short_pretty}} {{time}}|{fallback}>"


def pack(heading: str, lines: Sequence[str], more_text: str | None = None) -> list[Block]:
    """A heading and its lines as few sections as fit under Slack's section text limit."""
    lines = [*lines, *([f"_{more_text}_"] if more_text else [])]
    blocks: list[Block] = []
    current = heading
    for line in lines:
        if len(current) + 1 + len(line) > SECTION_TEXT_LIMIT:
            blocks.append(section(current))
            current = line
        else:
            current += "\n" + line
    blocks.append(section(current))
    return blocks


def fit(blocks: list[Block], overflow: str) -> list[Block]:
    """At most MAX_BLOCKS blocks; what does not fit is replaced by a note."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], context(overflow)]


def _plural(lang: Language, key: str, count: int) -> str:
    return t(f"{key}_one", lang) if count == 1 else t(f"{key}_many", lang, count=count)


def _parts(c: DigestContent, *, links: bool) -> list[tuple[str, list[str]]]:
    """(heading key, lines) of each non-empty part; `links=False` for the plain-text fallback."""
    lang = c.language

    def source(url: str | None) -> str:
        return f" {link(url, t('digest_source', lang))}" if links and url else ""

    reversed_note = t("digest_reversed", lang)
    decisions = [
        f"• ~{item(r.old)}~ → {item(r.new)} _({reversed_note})_{source(r.link)}" for r in c.reversals
    ]
    decisions += [f"• {item(d.text)}{source(d.link)}" for d in c.decisions]
    actions = []
    for a in c.actions:
        extras = [f"*{item(a.owner)}*" if a.owner else "", t("digest_due", lang, date=a.due) if a.due else ""]
        extras += [t("digest_overdue", lang) if a.overdue else "", t("digest_done", lang) if a.done else ""]
        tail = " · ".join(e for e in extras if e)
        text = f"~{item(a.text)}~" if a.done else item(a.text)
        actions.append(f"• {text}" + (f" — {tail}" if tail else "") + source(a.link))
    answered = t("digest_answered", lang)
    questions = [
        (f"• ~{item(q.text)}~ _({answered})_" if q.answered else f"• {item(q.text)}") + source(q.link)
        for q in c.questions
    ]
    threads = [
        f"• {link(th.link if links else None, item(th.label) or t('digest_untitled_thread', lang))}"
        f" — {_plural(lang, 'digest_replies', th.replies)}"
        for th in c.threads
    ]
    parts = [
        ("digest_decisions", decisions),
        ("digest_actions", actions),
        ("digest_questions", questions),
        ("digest_threads", threads),
    ]
    return [(key, lines) for key, lines in parts if lines]


def digest_message(content: DigestContent) -> SlackMessage:
    """The digest as Block Kit (≤ 50 blocks, sections ≤ 3,000 characters) and a fallback text without
    links (≤ 4,000 characters) for notifications and clients that cannot show blocks."""
    lang = content.language
    counts = " · ".join(
        (
            _plural(lang, "digest_activity", content.messages),
            _plural(lang, "digest_people", content.people),
        )
    )
    title = t("digest_title", lang, channel=f"<#{content.channel_id}>")
    since = t("digest_since", lang, since=slack_date(content.since))
    blocks: list[Block] = [section(title), context(f"{since} · {counts}")]
    fallback = [title, f"{since} · {counts}"]
    if content.empty:
        blocks.append(section(t("digest_nothing", lang)))
        fallback.append(t("digest_nothing", lang))
    for (key, lines), (_, plain) in zip(
        _parts(content, links=True), _parts(content, links=False), strict=True
    ):
        more = len(lines) - MAX_LINES
        more_text = t("digest_more", lang, count=more) if more > 0 else None
        blocks.append({"type": "divider"})
        blocks.extend(pack(t(key, lang), lines[:MAX_LINES], more_text))
        fallback += ["", t(key, lang), *plain[:MAX_LINES], *([more_text] if more_text else [])]
    blocks = fit(blocks, t("digest_more", lang, count=len(blocks) - MAX_BLOCKS + 1))
    return SlackMessage(clip("\n".join(fallback), FALLBACK_LIMIT), blocks)


__all__ = [
    "FALLBACK_LIMIT",
    "MAX_BLOCKS",
    "SECTION_TEXT_LIMIT",
    "TEXT_LIMIT",
    "ActionLine",
    "DecisionLine",
    "DigestContent",
    "QuestionLine",
    "Reversal",
    "SlackMessage",
    "ThreadLine",
    "clip",
    "context",
    "digest_message",
    "fit",
    "item",
    "link",
    "pack",
    "section",
    "slack_date",
]
