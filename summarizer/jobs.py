"""Summarization jobs: find conversation that is ready (quiet threads, finished days, past weeks),
queue one durable job per input range, and turn each job into an episode, items and a fresh brief.

Every message is read by the model once: thread messages in their thread episode, loose messages in
their day episode; days roll up from episode summaries, and the brief is rendered from items.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from memory.directory import DirectoryStore
from memory.jobs import Job, JobQueue
from memory.records import MessageRecord
from memory.summaries import EpisodeRecord, ItemChange, ItemRecord, SummaryStore
from summarizer.brief import render_brief
from summarizer.config import SummarySettings
from summarizer.dates import annotate, resolve_due
from summarizer.language import detect_language
from summarizer.pipeline import Line, LiveItem, Summarizer
from summarizer.schemas import Extraction
from summarizer.tokens import estimate_tokens

log = logging.getLogger(__name__)

THREAD, DAY, WEEK = "summarize_thread", "summarize_day", "summarize_week"
KINDS = (THREAD, DAY, WEEK)


def _local_date(ts: str, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(float(ts), UTC).astimezone(tz).date()


def _ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


class SummaryPlanner:
    """Queues jobs for whatever conversation is ready to be summarized. Safe to run often."""

    def __init__(self, summaries: SummaryStore, queue: JobQueue, settings: SummarySettings) -> None:
        self._summaries, self._queue, self._settings = summaries, queue, settings
        self._tz = ZoneInfo(settings.timezone)

    def plan(self, *, now: datetime | None = None, channel_id: str | None = None, since: str = "") -> int:
        now = now or datetime.now(UTC)
        idle_before = (now - timedelta(minutes=self._settings.thread_idle_minutes)).timestamp()
        queued = 0
        for team, channel, thread_ts, first, last in self._summaries.quiet_threads(idle_before=idle_before):
            if (channel_id and channel != channel_id) or last < since:
                continue
            payload = {"team": team, "channel": channel, "thread_ts": thread_ts, "first": first, "last": last}
            queued += self._queue.enqueue(THREAD, f"{team}:{channel}:{thread_ts}:{first}:{last}", payload)
        today = now.astimezone(self._tz).date()
        days: dict[tuple[str, str, date], list[str]] = {}
        for msg in self._summaries.loose_messages():
            day = _local_date(msg.ts, self._tz)
            if day < today and (not channel_id or msg.channel_id == channel_id) and msg.ts >= since:
                days.setdefault((msg.team_id, msg.channel_id, day), []).append(msg.ts)
        for (team, channel, day), stamps in sorted(days.items()):
            payload = {
                "team": team,
                "channel": channel,
                "day": day.isoformat(),
                "first": stamps[0],
                "last": stamps[-1],
            }
            queued += self._queue.enqueue(DAY, f"{team}:{channel}:{day.isoformat()}", payload)
        queued += self._plan_weeks(today, channel_id)
        return queued

    def _plan_weeks(self, today: date, channel_id: str | None) -> int:
        done = self._summaries.episode_keys("week")
        weeks: set[tuple[str, str, str]] = set()
        for team, channel, key in self._summaries.episode_keys("day"):
            day = date.fromisoformat(key)
            iso = day.isocalendar()
            week_end = day + timedelta(days=7 - iso.weekday)
            if week_end < today and (not channel_id or channel == channel_id):
                weeks.add((team, channel, f"{iso.year}-W{iso.week:02d}"))
        queued = 0
        for team, channel, week in sorted(weeks - done):
            queued += self._queue.enqueue(
                WEEK, f"{team}:{channel}:{week}", {"team": team, "channel": channel, "week": week}
            )
        return queued


@dataclass
class SummaryWorker:
    """The job handlers. Each writes its episode, items and item changes in one transaction."""

    summarizer: Summarizer
    summaries: SummaryStore
    directory: DirectoryStore
    settings: SummarySettings
    model: str
    on_written: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def handlers(self) -> dict[str, Callable[[Job], dict[str, Any]]]:
        return {THREAD: self.thread, DAY: self.day, WEEK: self.week}

    def thread(self, job: Job) -> dict[str, Any]:
        p = job.payload
        messages = [
            m
            for m in self.summaries.thread_messages(p["team"], p["channel"], p["thread_ts"], after="")
            if p["first"] <= m.ts <= p["last"]
        ]
        key = f"{p['thread_ts']}@{p['first']}"
        return self._summarize(p["team"], p["channel"], "thread", key, messages, thread_ts=p["thread_ts"])

    def day(self, job: Job) -> dict[str, Any]:
        p = job.payload
        tz = ZoneInfo(self.settings.timezone)
        messages = [
            m
            for m in self.summaries.loose_messages(p["team"])
            if m.channel_id == p["channel"]
            and _local_date(m.ts, tz).isoformat() == p["day"]
            and m.ts <= p["last"]
        ]
        return self._summarize(p["team"], p["channel"], "day", p["day"], messages)

    def week(self, job: Job) -> dict[str, Any]:
        p = job.payload
        year, week = p["week"].split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        tz = ZoneInfo(self.settings.timezone)
        start = _ts(datetime.combine(monday, datetime.min.time(), tz))
        end = _ts(datetime.combine(monday + timedelta(days=7), datetime.min.time(), tz))
        episodes = self.summaries.episodes(p["team"], p["channel"], kind="day", start=start, end=end)
        episodes += self.summaries.episodes(p["team"], p["channel"], kind="thread", start=start, end=end)
        episodes.sort(key=lambda e: e.end_ts)
        lines = [Line(i, e.end_ts, f"{e.kind} {e.key}", e.summary) for i, e in enumerate(episodes, start=1)]
        if not lines:
            return {"skipped": "no episodes"}
        started = time.perf_counter()
        result = self.summarizer.summarize(
            lines, channel=p["channel"], language=_language(e.summary for e in episodes)
        )
        ep = EpisodeRecord(
            p["team"],
            p["channel"],
            "week",
            p["week"],
            episodes[0].start_ts,
            episodes[-1].end_ts,
            result.extraction.summary,
            sources=tuple(s for e in episodes for s in e.sources),
            structured=result.structured,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
            model=self.model,
        )
        episode_id, created = self.summaries.save_summary(ep, [], [])
        return {"episode": episode_id, "created": created, **_usage(result.usage, started)}

    def _summarize(
        self,
        team: str,
        channel: str,
        kind: str,
        key: str,
        messages: Sequence[MessageRecord],
        *,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        if not messages:
            return {"skipped": "no messages"}
        started = time.perf_counter()
        tz = ZoneInfo(self.settings.timezone)
        names = self.directory.user_labels(team)
        lines = [
            Line(
                i,
                m.ts,
                names.get(m.user_id, m.user_id or "someone"),
                annotate(m.text, anchor=datetime.fromtimestamp(float(m.ts), UTC), tz=tz),
                datetime.fromtimestamp(float(m.ts), UTC).astimezone(tz).strftime("%Y-%m-%d %a %H:%M"),
            )
            for i, m in enumerate(messages, start=1)
        ]
        live = {
            k: self.summaries.items(team, channel, kinds=[k])[-self.settings.live_items :]
            if self.settings.live_items
            else []
            for k in ("decision", "action_item", "open_question")
        }
        refs = {
            **{f"D{i}": it for i, it in enumerate(live["decision"], start=1)},
            **{f"A{i}": it for i, it in enumerate(live["action_item"], start=1)},
            **{f"Q{i}": it for i, it in enumerate(live["open_question"], start=1)},
        }
        result = self.summarizer.summarize(
            lines,
            channel=channel,
            language=_language(m.text for m in messages),
            decisions=[LiveItem(r, it.text) for r, it in refs.items() if r[0] == "D"],
            actions=[LiveItem(r, it.text, it.owner, it.due) for r, it in refs.items() if r[0] == "A"],
            questions=[LiveItem(r, it.text) for r, it in refs.items() if r[0] == "Q"],
        )
        raw = {i: m.text for i, m in enumerate(messages, start=1)}
        items, changes = _items(team, channel, result.extraction, lines, refs, tz, raw)
        ep = EpisodeRecord(
            team,
            channel,
            kind,
            key,
            messages[0].ts,
            messages[-1].ts,
            result.extraction.summary,
            thread_ts,
            participants=tuple(dict.fromkeys(m.user_id for m in messages if m.user_id)),
            sources=tuple(m.ts for m in messages),
            structured=result.structured,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
            model=self.model,
        )
        episode_id, created = self.summaries.save_summary(ep, items, changes)
        self.refresh_brief(team, channel)
        self.on_written()
        return {
            "episode": episode_id,
            "created": created,
            "items": len(items),
            **_usage(result.usage, started),
        }

    def refresh_brief(self, team: str, channel: str) -> str:
        label = self.directory.get_channel(team, channel)
        items = self.summaries.items(team, channel)
        text = render_brief(
            label.name if label and label.name else channel,
            items,
            budget=self.settings.brief_tokens,
            now=self.clock(),
            tz=ZoneInfo(self.settings.timezone),
        )
        self.summaries.save_brief(team, channel, text, estimate_tokens(text))
        return text


def _items(
    team: str,
    channel: str,
    ex: Extraction,
    lines: Sequence[Line],
    refs: dict[str, ItemRecord],
    tz: ZoneInfo,
    raw: dict[int, str],
) -> tuple[list[ItemRecord], list[ItemChange]]:
    """Extraction -> new items (with source ts and absolute due dates) and changes to earlier items."""
    by_number = {line.number: line for line in lines}

    def sources(numbers: Sequence[int]) -> tuple[str, ...]:
        found = tuple(by_number[n].ts for n in numbers if n in by_number)
        return found or (lines[-1].ts,)

    items: list[ItemRecord] = []
    changes: list[ItemChange] = []

    def add(
        kind: str,
        text: str,
        src: Sequence[int],
        replaces: Sequence[str] = (),
        *,
        owner: str = "",
        due: str = "",
        status: str = "open",
    ) -> None:
        origin = sources(src)
        items.append(
            ItemRecord(
                team,
                channel,
                kind,
                text,
                valid_from=origin[0],
                sources=origin,
                owner=owner,
                due=due,
                status=status,
            )
        )
        for ref in replaces:
            if ref in refs and refs[ref].kind == kind:
                changes.append(ItemChange(refs[ref].id, replaced_by=len(items) - 1))

    for d in ex.decisions:
        add("decision", d.text, d.source, d.replaces)
    for a in ex.action_items:
        origin = sources(a.source)
        anchor = datetime.fromtimestamp(float(origin[0]), UTC)
        # The model's date if valid, else the date the task or its source messages state, resolved by code.
        texts = [(a.text, anchor), *((raw[n], _when(by_number[n].ts)) for n in a.source if n in raw)]
        due = _iso(a.due) or next(
            (day.isoformat() for t, at in texts if (day := resolve_due(t, anchor=at, tz=tz)) is not None), ""
        )
        add(
            "action_item",
            a.text,
            a.source,
            a.replaces,
            owner=a.owner,
            due=due,
            status="done" if a.done else "open",
        )
    for kind, notes in (
        ("open_question", ex.open_questions),
        ("fact", ex.facts),
        ("convention", ex.conventions),
    ):
        for n in notes:
            add(kind, n.text, n.source)
    for ref in ex.answered_questions:
        if ref in refs and refs[ref].kind == "open_question":
            changes.append(ItemChange(refs[ref].id, status="answered", extra={"at": lines[-1].ts}))
    return items, changes


def _iso(text: str) -> str:
    try:
        return date.fromisoformat(text.strip()).isoformat() if text.strip() else ""
    except ValueError:
        return ""


def _when(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def _language(texts: Any) -> str:
    sample = " ".join(list(texts)[:200])
    korean = sum(1 for ch in sample if "\uac00" <= ch <= "\ud7a3")
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    if korean / letters > 0.6 or (detect_language(sample) == "ko" and korean / letters > 0.4):
        return "Korean"
    if korean / letters > 0.05:
        return "the conversation's own languages: Korean for Korean discussion, English for English"
    return "English"


def _usage(usage: Any, started: float) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "calls": usage.calls,
        "seconds": round(time.perf_counter() - started, 3),
    }


__all__ = ["DAY", "KINDS", "THREAD", "WEEK", "SummaryPlanner", "SummaryWorker"]
