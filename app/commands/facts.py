"""Facts people ask Kiok to remember: `/kiok remember <fact>` and the "Remember this" message shortcut.

A fact is stored through the summary store's own writer as a one-item episode of kind "note": its item
(kind "fact", owner = the author's name) shows in the brief and in recall, and the note records the author
as participant and the remembered message as source. So `forget` of that message, of that person (`me`,
`optout`) or of the channel erases the fact exactly as it erases summaries; no separate cleanup exists.
The note's text equals the item's indexed text, so recall collapses the two into one hit.
"""

from typing import Any

from app.blocks.commands import Payload, cut, notice
from app.commands.context import CommandContext
from app.commands.parser import MAX_FACT_CHARS, ParsedCommand, parse_text
from app.i18n import t
from app.slack_text import escape
from memory.summaries import EpisodeRecord, ItemRecord, fingerprint


def remember(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    fact = parse_text("remember", parsed.args, limit=MAX_FACT_CHARS)
    return store_fact(ctx, ctx.plain(fact), author=ctx.user_id, source_ts=None)


def remember_message(ctx: CommandContext, message: dict[str, Any]) -> Payload:
    """The "Remember this" shortcut: the message becomes a fact whose source is the message itself."""
    text = ctx.plain(str(message.get("text") or ""))
    if not text or "ts" not in message:
        return notice(t("cmd_remember_empty", ctx.language))
    author = str(message.get("user") or ctx.user_id)
    return store_fact(ctx, cut(text, MAX_FACT_CHARS), author=author, source_ts=str(message["ts"]))


def store_fact(ctx: CommandContext, text: str, *, author: str, source_ts: str | None) -> Payload:
    """Store `text` as a fact of the channel, refresh the brief, and say so (or why not)."""
    services, language = ctx.services, ctx.language
    opted_out = services.memory.policies.opted_out(ctx.team_id)
    if ctx.user_id in opted_out:
        return notice(t("cmd_remember_opted_out", language))
    if author in opted_out:
        return notice(t("cmd_remember_author_opted_out", language))
    worker = services.summaries.worker
    summaries = worker.summaries
    key = fingerprint("fact", text)
    live = summaries.items(ctx.team_id, ctx.channel_id, kinds=["fact"])
    if any(fingerprint("fact", item.text) == key for item in live):
        return notice(t("cmd_remembered_already", language))
    when = source_ts or f"{ctx.now().timestamp():.6f}"
    owner = ctx.label(author)
    sources = (source_ts,) if source_ts else ()
    note = EpisodeRecord(
        ctx.team_id,
        ctx.channel_id,
        "note",
        f"fact:{key[:48]}",
        when,
        when,
        f"{owner}: {text}" if owner else text,
        participants=(author,),
        sources=sources,
        model="remembered",
    )
    item = ItemRecord(ctx.team_id, ctx.channel_id, "fact", text, when, owner=owner, sources=sources)
    _episode_id, created = summaries.save_summary(note, [item], [])
    if not created:
        return notice(t("cmd_remembered_already", language))
    worker.refresh_brief(ctx.team_id, ctx.channel_id)
    worker.on_written()  # index the new item promptly
    return notice(t("cmd_remembered", language, channel=ctx.channel_id, fact=escape(cut(text, 300))))


__all__ = ["remember", "remember_message", "store_fact"]
