"""Read-only views of a channel's memory: `/kiok decisions [since]`, `/kiok brief`, `/kiok status`."""

from datetime import UTC, datetime

from app.blocks.commands import Entry, Payload, day_label, fields_message, list_message, notice, text_message
from app.commands.context import CommandContext
from app.commands.parser import ParsedCommand, parse_no_args, parse_since
from app.i18n import t
from app.slack_text import escape
from summarizer.brief import LABELS as BRIEF_LABELS
from summarizer.brief import SECTIONS
from summarizer.tokens import estimate_tokens

MAX_DECISIONS = 30  # newest shown; each costs a chat.getPermalink call
ITEM_KINDS = ("decision", "action_item", "open_question", "fact")


def decisions(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    """Every decision since the date (all when none), oldest first; reversed ones struck through."""
    language = ctx.language
    since = parse_since(parsed.args, now=ctx.now().astimezone(ctx.tz), tz=ctx.tz)
    items = ctx.services.summaries.worker.summaries.items(
        ctx.team_id,
        ctx.channel_id,
        kinds=["decision"],
        live_only=False,
        since=f"{since.timestamp():.6f}" if since else "",
    )
    if not items:
        return notice(t("cmd_decisions_none", language), public=parsed.share)
    shown = items[-MAX_DECISIONS:]
    entries = []
    for item in shown:
        source = item.sources[0] if item.sources else item.valid_from
        when = datetime.fromtimestamp(float(item.valid_from), UTC).astimezone(ctx.tz)
        entries.append(
            Entry(
                escape(item.text),
                day_label(when, language),
                ctx.permalink(ctx.channel_id, source),
                t("cmd_reversed", language) if item.superseded_by or item.valid_to else "",
                struck=bool(item.superseded_by),
            )
        )
    title = (
        t("cmd_decisions_since", language, since=day_label(since, language))
        if since
        else t("cmd_decisions_title", language)
    )
    omitted = len(items) - len(shown)
    footer = t("cmd_more_earlier", language, count=omitted) if omitted else ""
    return list_message(title, [("", entries)], footer=footer, public=parsed.share)


def brief(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    """The stored brief (what answers are grounded in), its headings in the asker's language."""
    parse_no_args("brief", parsed.args)
    language = ctx.language
    # Someone wants the brief current: queue the channel's ready conversation now, answer at once.
    updating = ctx.services.summaries.summarize_now(ctx.team_id, ctx.channel_id, now=ctx.now())
    text = ctx.services.summaries.worker.summaries.get_brief(ctx.team_id, ctx.channel_id)
    if not text:
        return notice(
            t("cmd_brief_building" if updating else "cmd_brief_none", language), public=parsed.share
        )
    headings = {  # the brief is stored in the channel's language; headings follow the asker's
        f"{labels[kind]}:": f"*{t(f'cmd_section_{kind}', language)}*"
        for labels in BRIEF_LABELS.values()
        for kind, _title in SECTIONS
    }
    lines = text.splitlines()
    body = [headings.get(line, escape(line)) for line in lines[1:]]  # line 1: "Project brief for #x (…)"
    footer = escape(lines[0])
    if updating:
        footer += " · " + t("cmd_brief_updating", language)
    return text_message(t("cmd_brief_title", language), "\n".join(body), footer=footer, public=parsed.share)


def status(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    """What Kiok holds for this channel and how it runs: counts, backlog, brief size, models, policy."""
    parse_no_args("status", parsed.args)
    language, services = ctx.language, ctx.services
    team, channel = ctx.team_id, ctx.channel_id
    items = services.summaries.worker.summaries.items(team, channel, kinds=list(ITEM_KINDS))
    counts = {kind: sum(1 for i in items if i.kind == kind and i.status == "open") for kind in ITEM_KINDS}
    brief = services.summaries.worker.summaries.get_brief(team, channel)
    jobs = services.summaries.queue.counts()
    policy = services.memory.policies.get(team, channel)
    opted_out = ctx.user_id in services.memory.policies.opted_out(team)
    settings = services.settings
    sharing = t("cmd_status_shared" if policy.shared else "cmd_status_private", language)
    keeping = (
        t("cmd_status_retention", language, days=policy.retention_days)
        if policy.retention_days
        else t("cmd_status_forever", language)
    )
    fields = [
        (t("cmd_status_messages", language), f"{services.store.count_messages(team, channel):,}"),
        (t("cmd_status_items", language), t("cmd_status_items_value", language, **counts)),
        (
            t("cmd_status_brief", language),
            t("cmd_status_brief_value", language, tokens=estimate_tokens(brief))
            if brief
            else t("cmd_status_none", language),
        ),
        (
            t("cmd_status_backlog", language),
            f"{services.store.count_pending_index(team_id=team, channel_id=channel):,}",
        ),
        (t("cmd_status_jobs", language), f"{jobs.get('queued', 0) + jobs.get('running', 0):,}"),
        (t("cmd_status_model", language), f"`{settings.llm.model}` ({settings.llm.provider})"),
        (t("cmd_status_embedding", language), f"`{settings.embedding.model}`"),
        (t("cmd_status_policy", language), f"{sharing}, {keeping}"),
    ]
    if not parsed.share:  # whether the asker opted out is theirs to know, not the channel's
        you = t("cmd_status_opted_out" if opted_out else "cmd_status_opted_in", language)
        fields.append((t("cmd_status_you", language), you))
    return fields_message(t("cmd_status_title", language), fields, public=parsed.share)


__all__ = ["brief", "decisions", "status"]
