"""`/kiok recall <query>`: what memory holds about a query, as this channel may see it, with permalinks.

The scope is the recall scope of the conversation the command was used in: the channel itself plus the
public channels an admin shared with the whole workspace (`kiok policy --share`), never anything else.
Message text is shown as plain text (mentions become @names), so a shared result pings nobody.
"""

from datetime import UTC, datetime

from app.blocks.commands import Entry, Payload, day_label, notice, recall_message
from app.commands.context import CommandContext
from app.commands.parser import MAX_QUERY_CHARS, ParsedCommand, parse_text
from app.i18n import t
from app.slack_text import escape, to_plain_text
from memory.errors import StoreError
from memory.retrieval import RecallHit, RecallQuery


def recall(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    query = parse_text("recall", parsed.args, limit=MAX_QUERY_CHARS)
    plain = ctx.plain(query)
    try:
        hits = ctx.services.memory.recall(RecallQuery(ctx.team_id, ctx.channel_id, plain))
    except StoreError as exc:
        return notice(t("cmd_unavailable", ctx.language, detail=str(exc)))
    entries = [hit_entry(ctx, hit) for hit in hits]
    return recall_message(ctx.language, escape(plain), entries, public=parsed.share)


def hit_entry(ctx: CommandContext, hit: RecallHit) -> Entry:
    """One hit: its text, and a meta line `<permalink|date> · author · kind · #channel`."""
    ts = hit.sources[0] if hit.sources else hit.ts
    when = datetime.fromtimestamp(float(ts), UTC).astimezone(ctx.tz)
    kind = t(f"cmd_kind_{hit.kind}", ctx.language) if f"cmd_kind_{hit.kind}" in _KINDS else hit.kind
    author = ctx.label(hit.author) if hit.author else ""
    where = f"<#{hit.channel}>" if hit.channel != ctx.channel_id else ""
    note = " · ".join(p for p in (escape(author), kind, where) if p)
    text = escape(to_plain_text(hit.text, ctx.label))
    return Entry(text, day_label(when, ctx.language), ctx.permalink(hit.channel, ts), note)


_KINDS = frozenset(
    f"cmd_kind_{k}"
    for k in ("decision", "action_item", "open_question", "fact", "convention", "episode", "message")
)

__all__ = ["hit_entry", "recall"]
