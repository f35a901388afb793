"""Summarization jobs: find conversation that is ready (quiet thread segments, finished days), queue it
per channel in batches (`summarizer.batch_plan`), and turn each batch into one episode per segment (kind
thread or day), a "batch" episode holding the call's overview, items and a fresh brief; past weeks roll
up from the overviews of their batches.

Every message is read by the model once: in the batch holding its thread segment or its day. A week reads
a few overviews (not every segment summary), and the brief is rendered from items by code.
"""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from memory.directory import DirectoryStore
from memory.jobs import Job, JobQueue
from memory.records import MessageRecord
from memory.summaries import EpisodeRecord, ItemRecord, SummaryStore
from summarizer.batch import SegmentInput, summarize_batch
from summarizer.batch_plan import BATCH, batch_job, busy_channels, due, local_date, ready_segments, split
from summarizer.brief import render_brief
from summarizer.config import SummarySettings
from summarizer.dates import annotate
from summarizer.items import Numbered, batch_items
from summarizer.language import detect_language
from summarizer.pipeline import Line, LiveItem, Summarizer, Usage
from summarizer.relevance import Candidate, relevant
from summarizer.tokens import estimate_tokens

log = logging.getLogger(__name__)

THREAD, DAY, WEEK = (
    "summarize_thread",
    "summarize_day",
    "summarize_week",
)  # THREAD, DAY: queued by old versions
KINDS = (BATCH, THREAD, DAY, WEEK)
WEEK_DIRECT_TOKENS = 150  # a week whose episode summaries are this short is their text: no model call


def _ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


class SummaryPlanner:
    """Queues jobs for whatever conversation is ready to be summarized. Safe to run often."""

    def __init__(self, summaries: SummaryStore, queue: JobQueue, settings: SummarySettings) -> None:
        self._summaries, self._queue, self._settings = summaries, queue, settings
        self._tz = ZoneInfo(settings.timezone)

    def plan(
        self,
        *,
        now: datetime | None = None,
        channel_id: str | None = None,
        since: str = "",
        flush: bool = False,
    ) -> int:
        """Queue the batches that are due and the roll-ups of past weeks. `flush` queues every ready
        segment whatever the batch thresholds (`kiok summarize`: someone asked for it now)."""
        now = now or datetime.now(UTC)
        busy = busy_channels(self._summaries, (BATCH, THREAD, DAY))
        waiting: dict[tuple[str, str], str] = {}  # channel -> first ts still to be summarized
        queued = 0
        for (team, channel), segments in sorted(ready_segments(self._summaries, self._settings, now).items()):
            waiting[(team, channel)] = segments[0].first
            if (team, channel) in busy or (channel_id and channel != channel_id):
                continue
            wanted = [s for s in segments if s.last >= since]
            if wanted and (flush or due(wanted, self._settings, now)):
                for group in split(wanted, self._tz):
                    key, payload = batch_job(team, channel, group)
                    queued += self._queue.enqueue(BATCH, key, payload)
        return queued + self._plan_weeks(now, channel_id, busy, waiting)

    def busy(self, team: str, channel: str) -> bool:
        """A batch of `channel` is queued or running."""
        return (team, channel) in busy_channels(self._summaries, (BATCH, THREAD, DAY))

    def wait_done(self, team: str, channel: str, *, timeout: float, poll: float = 0.25) -> bool:
        """Block until `channel` has no batch queued or running, at most `timeout` seconds. False on timeout
        (the model is slow or down: a deferred batch stays queued)."""
        deadline = time.monotonic() + timeout
        while self.busy(team, channel):
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        return True

    def _plan_weeks(
        self,
        now: datetime,
        channel_id: str | None,
        busy: set[tuple[str, str]],
        waiting: dict[tuple[str, str], str],
    ) -> int:
        """A past week of a channel rolls up once nothing of it is still waiting to be summarized."""
        today = now.astimezone(self._tz).date()
        done = self._summaries.episode_keys("week")
        weeks: set[tuple[str, str, str]] = set()
        for team, channel, start_ts in self._summaries.episode_starts(["batch", "day", "thread"]):
            day = local_date(start_ts, self._tz)
            iso = day.isocalendar()
            week_end = day + timedelta(days=7 - iso.weekday)
            if week_end >= today or (channel_id and channel != channel_id) or (team, channel) in busy:
                continue
            pending = waiting.get((team, channel))
            if pending is not None and local_date(pending, self._tz) <= week_end:
                continue
            weeks.add((team, channel, f"{iso.year}-W{iso.week:02d}"))
        queued = 0
        for team, channel, week in sorted(weeks - done):
            queued += self._queue.enqueue(
                WEEK, f"{team}:{channel}:{week}", {"team": team, "channel": channel, "week": week}
            )
        return queued


@dataclass
class SummaryWorker:
    """The job handlers. A batch writes its episodes, items and item changes in one transaction."""

    summarizer: Summarizer
    summaries: SummaryStore
    directory: DirectoryStore
    settings: SummarySettings
    model: str
    on_written: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def handlers(self) -> dict[str, Callable[[Job], dict[str, Any]]]:
        return {BATCH: self.batch, THREAD: self.thread, DAY: self.day, WEEK: self.week}

    def batch(self, job: Job) -> dict[str, Any]:
        p = job.payload
        return self._run(p["team"], p["channel"], p["segments"])

    def thread(self, job: Job) -> dict[str, Any]:
        """A single-thread job queued by an earlier version: run as a batch of one segment."""
        p = job.payload
        segment = {"kind": "thread", "thread_ts": p["thread_ts"], "first": p["first"], "last": p["last"]}
        return self._run(p["team"], p["channel"], [segment])

    def day(self, job: Job) -> dict[str, Any]:
        """A single-day job queued by an earlier version: run as a batch of one segment."""
        p = job.payload
        return self._run(
            p["team"], p["channel"], [{"kind": "day", **{k: p[k] for k in ("day", "first", "last")}}]
        )

    def week(self, job: Job) -> dict[str, Any]:
        """A week from the overviews of its batches (from its thread and day episodes when they were
        summarized one by one, before batches): their text when short, else the model's roll-up."""
        p = job.payload
        year, week = p["week"].split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        tz = ZoneInfo(self.settings.timezone)
        start = _ts(datetime.combine(monday, datetime.min.time(), tz))
        end = _ts(datetime.combine(monday + timedelta(days=7), datetime.min.time(), tz))
        later = _ts(datetime.combine(monday + timedelta(days=70), datetime.min.time(), tz))

        def of_week(kind: str) -> list[EpisodeRecord]:  # by where they start: a thread may end later
            found = self.summaries.episodes(p["team"], p["channel"], kind=kind, start=start, end=later)
            return [e for e in found if start <= e.start_ts < end and e.summary.strip()]

        episodes = of_week("batch") or of_week("day") + of_week("thread")
        episodes.sort(key=lambda e: e.start_ts)
        if not episodes:
            return {"skipped": "no episodes"}
        started, usage = time.perf_counter(), Usage()
        lines = [f"{_label(e.start_ts, tz)}: {e.summary}" for e in episodes]
        if sum(estimate_tokens(line) for line in lines) <= WEEK_DIRECT_TOKENS:
            summary = " ".join(e.summary for e in episodes)  # already as short as a roll-up would be
        else:
            language = _language(e.summary for e in episodes)
            summary = self.summarizer.rollup(lines, language=language, usage=usage)
        ep = EpisodeRecord(
            p["team"],
            p["channel"],
            "week",
            p["week"],
            episodes[0].start_ts,
            max(e.end_ts for e in episodes),
            summary,
            sources=tuple(dict.fromkeys(s for e in episodes for s in e.sources)),
            structured=True,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            model=self.model if usage.calls else "",
        )
        episode_id, created = self.summaries.save_summary(ep, [], [])
        return {"episode": episode_id, "created": created, **_usage(usage, started)}

    def _load(
        self, team: str, channel: str, seg: dict[str, Any]
    ) -> tuple[str, str, str | None, list[MessageRecord]]:
        """(kind, episode key, thread_ts, messages) of a segment as the job payload names it."""
        if seg["kind"] == "thread":
            found = self.summaries.thread_messages(team, channel, seg["thread_ts"])
            messages = [m for m in found if seg["first"] <= m.ts <= seg["last"]]
            return "thread", f"{seg['thread_ts']}@{seg['first']}", seg["thread_ts"], messages
        return "day", seg["day"], None, self.summaries.loose_between(team, channel, seg["first"], seg["last"])

    def _run(self, team: str, channel: str, described: Sequence[dict[str, Any]]) -> dict[str, Any]:
        loaded = [self._load(team, channel, seg) for seg in described]
        stored = {
            kind: self.summaries.existing_keys(
                team, channel, kind, [key for k, key, _, _ in loaded if k == kind]
            )
            for kind in ("thread", "day")
        }
        todo = [s for s in loaded if s[3] and s[1] not in stored[s[0]]]
        if not todo:  # a rerun after a crash that happened once the batch was stored
            return {"skipped": "already summarized", "segments": len(loaded)}
        started = time.perf_counter()
        tz = ZoneInfo(self.settings.timezone)
        names = self.directory.user_labels(team)
        inputs, lines, segment_of, raw, number = [], [], {}, {}, 0
        for index, (_, _, _, messages) in enumerate(todo):
            seg_lines = []
            for m in messages:
                number += 1
                anchor = datetime.fromtimestamp(float(m.ts), UTC)
                text = annotate(m.text, anchor=anchor, tz=tz)
                seg_lines.append(Line(number, m.ts, names.get(m.user_id, m.user_id or "someone"), text))
                segment_of[number], raw[number] = index, m.text
            lines += seg_lines
            inputs.append(SegmentInput(f"S{index + 1}", _label(messages[0].ts, tz), tuple(seg_lines)))
        texts = [m.text for s in todo for m in s[3]]
        refs = self._listed(team, channel, texts)
        label = self.directory.get_channel(team, channel)
        result = summarize_batch(
            self.summarizer,
            inputs,
            channel=label.name if label and label.name else channel,
            language=_language(texts),
            listed=[LiveItem(r, it.text, it.owner, it.due) for r, it in refs.items()],
        )
        per_segment, changes = batch_items(
            team, channel, result.items, Numbered(lines, segment_of, raw), refs, tz, len(todo)
        )
        weights = [sum(estimate_tokens(m.text) for m in s[3]) or 1 for s in todo]
        tokens_in = _shares(result.usage.input_tokens, weights)
        tokens_out = _shares(result.usage.output_tokens, weights)
        episodes = []
        for i, (kind, key, thread_ts, messages) in enumerate(todo):
            summary = result.summaries.get(inputs[i].id, "")
            ep = EpisodeRecord(
                team,
                channel,
                kind,
                key,
                messages[0].ts,
                messages[-1].ts,
                summary or _extract(messages, names),
                thread_ts,
                participants=tuple(dict.fromkeys(m.user_id for m in messages if m.user_id)),
                sources=tuple(m.ts for m in messages),
                structured=result.structured and bool(summary),
                input_tokens=tokens_in[i],
                output_tokens=tokens_out[i],
                model=self.model,
            )
            episodes.append((ep, per_segment[i]))
        every = [m for s in todo for m in s[3]]
        whole = EpisodeRecord(  # the batch's overview: what its week rolls up from (its tokens are above)
            team,
            channel,
            "batch",
            f"{every[0].ts}@{every[-1].ts}",
            min(m.ts for m in every),
            max(m.ts for m in every),
            result.overview or " ".join(e.summary for e, _ in episodes)[:600],
            participants=tuple(dict.fromkeys(m.user_id for m in every if m.user_id)),
            sources=tuple(sorted(m.ts for m in every)),
            structured=result.structured and bool(result.overview),
            model=self.model,
        )
        saved = self.summaries.save_batch([*episodes, (whole, [])], changes)[:-1]
        self.refresh_brief(team, channel)
        self.on_written()
        return {
            "episodes": sum(created for _, created in saved),
            "segments": len(todo),
            "items": sum(len(items) for items in per_segment),
            "chunks": result.calls,
            **_usage(result.usage, started),
        }

    def _listed(self, team: str, channel: str, texts: Sequence[str]) -> dict[str, ItemRecord]:
        """Live items shown to the model (refs D1, A1, Q1…), at most `live_items`: those the new messages
        plausibly update (`summarizer.relevance`) first, then the newest; numbered oldest first."""
        if not self.settings.live_items:
            return {}
        live = self.summaries.items(team, channel, kinds=["decision", "action_item", "open_question"])
        keys = relevant(
            [Candidate(i, f"{it.text} {it.owner}") for i, it in enumerate(live)],
            texts,
            self.settings.live_items,
        )
        # Then the newest others: a reversal need not repeat its decision's words ("QA failed: we move
        # the release to Monday" reverses "Ship v2.3 on Thursday"), and recent items are the likeliest.
        others = sorted((k for k in range(len(live)) if k not in keys), key=lambda k: live[k].valid_from)
        keys += others[::-1][: self.settings.live_items - len(keys)]
        chosen = [live[k] for k in keys]
        refs: dict[str, ItemRecord] = {}
        for kind, prefix in (("decision", "D"), ("action_item", "A"), ("open_question", "Q")):
            same = sorted((it for it in chosen if it.kind == kind), key=lambda it: (it.valid_from, it.id))
            refs |= {f"{prefix}{i}": it for i, it in enumerate(same, start=1)}
        return refs

    def refresh_brief(self, team: str, channel: str) -> str:
        label = self.directory.get_channel(team, channel)
        items = self.summaries.items(team, channel)
        text = render_brief(
            label.name if label and label.name else channel,
            items,
            budget=self.settings.brief_tokens,
            now=self.clock(),
            tz=ZoneInfo(self.settings.timezone),
            language="ko" if _language(i.text for i in items) == "Korean" else "en",
        )
        self.summaries.save_brief(team, channel, text, estimate_tokens(text))
        return text


def _label(ts: str, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(float(ts), UTC).astimezone(tz).strftime("%a %d %b")


def _extract(messages: Sequence[MessageRecord], names: dict[str, str]) -> str:
    """A segment's stand-in summary when the model gave none: its first messages, cut short."""
    text = " / ".join(f"{names.get(m.user_id, m.user_id or 'someone')}: {m.text}" for m in messages[:3])
    return text if len(text) <= 300 else text[:299].rstrip() + "…"


def _shares(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights`, summing exactly to `total` (largest remainders)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)[
        : total - sum(shares)
    ]:
        shares[i] += 1
    return shares


def _language(texts: Iterable[str]) -> str:
    sample = " ".join(list(texts)[:200])
    korean = sum(1 for ch in sample if "\uac00" <= ch <= "\ud7a3")
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    if korean / letters > 0.6 or (detect_language(sample) == "ko" and korean / letters > 0.4):
        return "Korean"
    if korean / letters > 0.05:
        return "each segment's language (Korean or English)"
    return "English"


def _usage(usage: Usage, started: float) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "calls": usage.calls,
        "seconds": round(time.perf_counter() - started, 3),
    }


__all__ = ["BATCH", "DAY", "KINDS", "THREAD", "WEEK", "SummaryPlanner", "SummaryWorker"]
