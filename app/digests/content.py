"""Gather what changed in a channel between two digests: items from the summaries, activity from the stored
messages, permalinks from Slack (`chat.getPermalink`)."""

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.blocks.digests import ActionLine, DecisionLine, DigestContent, QuestionLine, Reversal, ThreadLine
from app.digests.periods import from_ts
from app.slack_text import to_plain_text
from memory.digest_store import DigestStore
from memory.summaries import ItemRecord, SummaryStore
from summarizer.language import detect_language

log = logging.getLogger(__name__)

MAX_PERMALINKS = 24  # Slack calls per digest; items past the budget are listed without a link
THREAD_LABEL_CHARS = 80


class Permalinks:
    """`chat.getPermalink` with a cache and a call budget; a failure means "no link", never an error."""

    def __init__(self, client: WebClient | None, channel_id: str, *, budget: int = MAX_PERMALINKS) -> None:
        self._client, self._channel, self._budget = client, channel_id, budget
        self._cache: dict[str, str | None] = {}

    def get(self, ts: str | None) -> str | None:
        if not ts or self._client is None:
            return None
        if ts not in self._cache:
            if self._budget <= 0:
                return None
            self._budget -= 1
            try:
                link = self._client.chat_getPermalink(channel=self._channel, message_ts=ts).get("permalink")
            except SlackApiError as exc:
                log.info("no permalink for %s/%s: %s", self._channel, ts, exc.response.get("error"))
                link = None
            self._cache[ts] = str(link) if link else None
        return self._cache[ts]

    def of(self, item: ItemRecord) -> str | None:
        return self.get(item.sources[0] if item.sources else None)


class _Window:
    """The (since, until] range of a digest and the calendar day it is posted on.

    Summaries are made in batches, after the fact: an item from Monday's messages may be recorded on
    Wednesday, after Tuesday's digest went out. Such an item is `late` in the first digest composed after it
    was recorded (`recorded_after`: when the previous digest was composed), so no item is ever skipped.
    """

    def __init__(
        self, since_ts: str, until_ts: str, tz: ZoneInfo, recorded_after: datetime | None = None
    ) -> None:
        self.since, self.until, self.tz = float(since_ts), float(until_ts), tz
        self.today = from_ts(until_ts).astimezone(tz).date()
        self.recorded_after = recorded_after

    def inside(self, ts: str | None) -> bool:
        return ts is not None and self.since < float(ts) <= self.until

    def _late(self, ts: str | None, recorded: datetime | None) -> bool:
        """About messages before this window, but recorded after the previous digest was composed."""
        return (
            ts is not None
            and recorded is not None
            and self.recorded_after is not None
            and recorded > self.recorded_after
            and float(ts) <= self.since
        )

    def new(self, item: ItemRecord) -> bool:
        """Established in this window, or recorded late."""
        return self.inside(item.valid_from) or self._late(item.valid_from, item.recorded_at)

    def closed(self, item: ItemRecord) -> bool:
        """Done, answered or superseded in this window, or recorded so late."""
        return self.inside(item.valid_to) or self._late(item.valid_to, item.changed_at)

    def overdue(self, due: str) -> bool:
        day = _day(due)
        return day is not None and day < self.today

    def became_overdue(self, due: str) -> bool:
        """The due day ended within the window."""
        day = _day(due)
        if day is None:
            return False
        ended = datetime.combine(day + timedelta(days=1), time(), self.tz).timestamp()
        return self.since < ended <= self.until


def _day(due: str) -> date | None:
    try:
        return date.fromisoformat(due) if due else None
    except ValueError:
        return None


def gather(
    *,
    store: DigestStore,
    summaries: SummaryStore,
    client: WebClient | None,
    team_id: str,
    channel_id: str,
    since_ts: str,
    until_ts: str,
    tz: ZoneInfo,
    user_labels: Mapping[str, str] | None = None,
    recorded_after: datetime | None = None,
) -> DigestContent:
    """The digest of `channel_id` for messages and items in (since_ts, until_ts], plus items of earlier
    messages recorded after `recorded_after` (when the previous digest was composed)."""
    window = _Window(since_ts, until_ts, tz, recorded_after)
    links = Permalinks(client, channel_id)
    items = summaries.items(team_id, channel_id, live_only=False)
    reversals, decisions = _decisions(items, window, links)
    activity = store.activity(team_id, channel_id, since_ts=since_ts, until_ts=until_ts)
    labels = user_labels or {}
    threads = tuple(
        ThreadLine(_label(t.root_text, labels), t.replies, links.get(t.thread_ts)) for t in activity.threads
    )
    language = detect_language(" ".join(store.recent_texts(team_id, channel_id)))
    return DigestContent(
        channel_id=channel_id,
        language=language,
        since=window.since,
        until=window.until,
        messages=activity.messages,
        people=activity.people,
        decisions=decisions,
        reversals=reversals,
        actions=_actions(items, window, links),
        questions=_questions(items, window, links),
        threads=threads,
    )


def _decisions(
    items: list[ItemRecord], window: _Window, links: Permalinks
) -> tuple[tuple[Reversal, ...], tuple[DecisionLine, ...]]:
    by_id = {i.id: i for i in items}
    decisions = [i for i in items if i.kind == "decision"]
    reversals: list[Reversal] = []
    shown: set[int] = set()
    for old in decisions:
        new = by_id.get(old.superseded_by) if old.superseded_by is not None else None
        if new is not None and window.closed(old):
            reversals.append(Reversal(old.text, new.text, links.of(new)))
            shown |= {old.id, new.id}
    fresh = tuple(
        DecisionLine(d.text, links.of(d))
        for d in decisions
        if d.valid_to is None and d.id not in shown and window.new(d)
    )
    return tuple(reversals), fresh


def _actions(items: list[ItemRecord], window: _Window, links: Permalinks) -> tuple[ActionLine, ...]:
    lines: list[ActionLine] = []
    for a in items:
        if a.kind != "action_item":
            continue
        if a.status == "done" and window.closed(a):
            lines.append(ActionLine(a.text, a.owner, a.due, done=True, link=links.of(a)))
        elif a.live and a.status == "open" and (window.new(a) or window.became_overdue(a.due)):
            overdue = window.overdue(a.due)
            lines.append(ActionLine(a.text, a.owner, a.due, overdue=overdue, link=links.of(a)))
    # overdue first, then open by due date (undated last), then done
    return tuple(sorted(lines, key=lambda x: (x.done, not x.overdue, x.due or "9999")))


def _questions(items: list[ItemRecord], window: _Window, links: Permalinks) -> tuple[QuestionLine, ...]:
    lines: list[QuestionLine] = []
    for q in items:
        if q.kind != "open_question":
            continue
        if q.live and window.new(q):
            lines.append(QuestionLine(q.text, link=links.of(q)))
        elif q.status == "answered" and window.closed(q):
            lines.append(QuestionLine(q.text, answered=True, link=links.of(q)))
    return tuple(lines)


def _label(text: str, labels: Mapping[str, str]) -> str:
    plain = " ".join(to_plain_text(text, lambda uid: labels.get(uid, uid)).split())
    return plain if len(plain) <= THREAD_LABEL_CHARS else plain[: THREAD_LABEL_CHARS - 1].rstrip() + "…"


__all__ = ["MAX_PERMALINKS", "Permalinks", "gather"]
