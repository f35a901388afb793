"""The "Summarize thread" message shortcut: summarize a thread now, for the person who asked, privately.

The thread is read from Slack (it may be newer than memory). Bots' posts, Kiok's answers included, are
left out (an answer is not evidence); secrets are redacted as memory redacts them; relative dates are
annotated by code as in background summaries; and the summarization pipeline (schema-constrained
extraction, split to fit the model's window) writes the summary in the asker's language. Nothing is
stored: the background planner summarizes the thread once it is quiet.
"""

from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from app.blocks.commands import Entry, Payload, list_message, notice
from app.commands.context import CommandContext
from app.i18n import t
from app.slack_data import fetch_thread
from app.slack_text import escape
from summarizer.dates import annotate
from summarizer.errors import LLMError, LLMTimeout
from summarizer.language import LANGUAGE_NAMES, Language
from summarizer.pipeline import Line
from summarizer.schemas import Extraction

NO_ACCESS = frozenset({"not_in_channel", "channel_not_found", "missing_scope", "thread_not_found"})


def summarize_thread(ctx: CommandContext, message: dict[str, Any]) -> Payload:
    language = ctx.language
    root = str(message.get("thread_ts") or message.get("ts") or "")
    try:
        raw = fetch_thread(ctx.client, ctx.channel_id, root)
    except SlackApiError as exc:
        if exc.response.get("error") in NO_ACCESS:
            return notice(t("cmd_not_in_channel", language))
        raise
    tz = ctx.tz
    people = [m for m in raw if (m.get("text") or "").strip() and not m.get("bot_id")]
    if not people:
        return notice(t("cmd_summary_empty", language))
    lines = []
    for number, m in enumerate(people, start=1):
        when = datetime.fromtimestamp(float(m["ts"]), UTC)
        text = annotate(ctx.plain(str(m.get("text") or "")), anchor=when, tz=tz)
        lines.append(
            Line(
                number,
                str(m["ts"]),
                ctx.label(str(m.get("user") or "")),
                text,
                f"{when.astimezone(tz):%Y-%m-%d %a %H:%M}",
            )
        )
    channel = ctx.services.memory.directory.get_channel(ctx.team_id, ctx.channel_id)
    summarizer = ctx.services.summaries.worker.summarizer
    try:
        result = summarizer.summarize(
            lines,
            channel=channel.name if channel and channel.name else ctx.channel_id,
            language=LANGUAGE_NAMES[language],
        )
    except LLMError as exc:
        return notice(
            t("llm_timeout" if isinstance(exc, LLMTimeout) else "llm_down", language, detail=str(exc))
        )
    link = ctx.permalink(ctx.channel_id, root)
    footer = f"<{link}|{t('cmd_summary_open', language)}>" if link else ""
    return list_message(
        t("cmd_summary_title", language),
        _groups(result.extraction, language),
        intro=escape(result.extraction.summary),
        footer=footer,
    )


def _groups(ex: Extraction, lang: Language) -> list[tuple[str, list[Entry]]]:
    actions = [
        Entry(
            " ".join(
                p for p in (a.owner and f"{escape(a.owner)}:", escape(a.text), a.due and f"({a.due})") if p
            ),
            struck=a.done,
        )
        for a in ex.action_items
    ]
    return [
        (t("cmd_section_decision", lang), [Entry(escape(d.text)) for d in ex.decisions]),
        (t("cmd_section_action_item", lang), actions),
        (t("cmd_section_open_question", lang), [Entry(escape(q.text)) for q in ex.open_questions]),
        (t("cmd_section_fact", lang), [Entry(escape(f.text)) for f in ex.facts]),
    ]


__all__ = ["summarize_thread"]
