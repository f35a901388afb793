"""`/kiok catchup`: what changed in this channel since the asker's last catch-up, from SQL alone (no model).

New messages (the asker's own and Kiok's replies not counted) are those after the newest message the
asker was last shown; new decisions, reversals and action items are items summaries wrote since the last
catch-up. The first catch-up covers the last FIRST_VISIT_DAYS days. Each catch-up records the visit
(memory/visits.py), so running it twice in a row says there is nothing new. Always private.
"""

from datetime import UTC, datetime, timedelta

from app.blocks.commands import Entry, Payload, cut, day_label, list_message, notice
from app.commands.context import CommandContext
from app.commands.parser import ParsedCommand, parse_no_args
from app.i18n import t
from app.slack_text import escape, to_plain_text
from memory.summaries import ItemRecord
from memory.visits import VisitStore

FIRST_VISIT_DAYS = 7
MAX_ENTRIES = 8  # per list


def catchup(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    parse_no_args("catchup", parsed.args)
    language, services = ctx.language, ctx.services
    team, channel = ctx.team_id, ctx.channel_id
    visits = VisitStore(services.store.engine)
    visit = visits.last_visit(team, ctx.user_id, channel)
    now = ctx.now()
    after = visit.last_seen_ts if visit else f"{(now - timedelta(days=FIRST_VISIT_DAYS)).timestamp():.6f}"
    activity = visits.activity_since(team, channel, after, exclude_user=ctx.user_id)
    summaries = services.summaries.worker.summaries
    items = summaries.items(team, channel, live_only=False)
    if visit is not None:
        fresh = visits.item_ids_since(team, channel, visit.at)
        new = [i for i in items if i.id in fresh]
    else:
        new = [i for i in items if float(i.valid_from) > float(after)]
    visits.record_visit(team, ctx.user_id, channel, activity.newest_ts or after or f"{now.timestamp():.6f}")

    since = _label(ctx, after)
    new_decisions = [i for i in new if i.kind == "decision"]
    replaced = {i.superseded_by: i for i in items if i.kind == "decision" and i.superseded_by}
    reversals = [(replaced[d.id], d) for d in new_decisions if d.id in replaced]
    actions = [i for i in new if i.kind == "action_item" and i.live and i.status == "open"]
    if not (activity.messages or new_decisions or actions):
        return notice(t("cmd_catchup_nothing", language, since=since))

    questions = [i for i in items if i.kind == "open_question" and i.live and i.status == "open"]
    threads = []
    for thread in activity.threads:
        root = services.store.get_message(team, channel, thread.thread_ts)
        text = escape(cut(to_plain_text(root.text, ctx.label), 150)) if root and root.text else "…"
        threads.append(
            Entry(
                text,
                _label(ctx, thread.thread_ts),
                ctx.permalink(channel, thread.thread_ts),
                t("cmd_catchup_thread", language, count=thread.messages),
            )
        )
    title = (
        t("cmd_catchup_title", language, since=since)
        if visit
        else t("cmd_catchup_title_first", language, days=FIRST_VISIT_DAYS)
    )
    counts = t("cmd_catchup_counts", language, messages=activity.messages, people=activity.people)
    groups = [
        (t("cmd_catchup_decisions", language), [_entry(ctx, i) for i in new_decisions[-MAX_ENTRIES:]]),
        (
            t("cmd_catchup_reversed", language),
            [
                Entry(f"~{escape(cut(old.text, 200))}~ → {escape(new.text)}", _label(ctx, new.valid_from))
                for old, new in reversals[-MAX_ENTRIES:]
            ],
        ),
        (t("cmd_catchup_actions", language), [_entry(ctx, i) for i in actions[-MAX_ENTRIES:]]),
        (t("cmd_catchup_questions", language), [_entry(ctx, i) for i in questions[-MAX_ENTRIES:]]),
        (t("cmd_catchup_threads", language), threads),
    ]
    return list_message(title, groups, intro=counts)


def _entry(ctx: CommandContext, item: ItemRecord) -> Entry:
    owner = f"{escape(item.owner)}: " if item.owner else ""
    due = f" ({item.due})" if item.due else ""
    source = item.sources[0] if item.sources else item.valid_from
    return Entry(
        f"{owner}{escape(item.text)}{due}",
        _label(ctx, item.valid_from),
        ctx.permalink(ctx.channel_id, source) if item.sources else None,
    )


def _label(ctx: CommandContext, ts: str) -> str:
    return day_label(datetime.fromtimestamp(float(ts), UTC).astimezone(ctx.tz), ctx.language)


__all__ = ["FIRST_VISIT_DAYS", "catchup"]
