"""Read what Kiok missed while it was not connected: after start-up, after every Socket Mode (re)connect
and every `gap_check_minutes`, each conversation's history since its high-water mark, and new replies in
its active threads.

Slack retries an undelivered event only a few times, so events sent while Kiok was down or reconnecting
can be lost; history cannot. The mark of a conversation is the newest event Kiok received live there
(`LiveMarks`, kept in SQL); a conversation without one falls back to its newest stored message, else to
the newest mark of any. Reading starts `OVERLAP_SECONDS` before the mark, since events do not arrive in
strict order; storing is idempotent.

Questions found in the gap (mentions, DMs) are answered when younger than `gap_answer_minutes` and not yet
answered by Kiok in their thread: someone who asked during a short outage still gets an answer, while an
old question is not answered out of the blue hours later. The delivery journal makes sure a question
answered live, replayed or found by two gap reads is answered once. Follow-ups in threads (without a
mention) and replies to threads quiet for over a day before the gap are stored only when seen again.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from slack_sdk import WebClient

from app.answers import Mention
from app.config import SlackSettings
from app.recovery import JournaledAnswerer
from app.slack_data import fetch_thread, history_pages, message_record
from memory.records import OWN_REPLY
from memory.service import MemoryService
from memory.sync_state import SyncStore

log = logging.getLogger(__name__)

OVERLAP_SECONDS = 120.0  # read this far before a mark: events near a disconnect arrive out of order
ACTIVE_THREAD_SECONDS = 86400.0  # threads with a message this long before the mark are re-read
MAX_ACTIVE_THREADS = 50  # per conversation and gap
PAGE = 200
RETRIES, RETRY_SECONDS = 5, 5  # a failed gap read is tried again after 5, 10, ... seconds
CONVERSATION_TYPES = "public_channel,private_channel,mpim,im"


class LiveMarks:
    """The newest event ts received live per conversation, in memory and flushed to SQL every
    `flush_every` seconds (a crash loses at most that much, which only makes the next gap read longer)."""

    def __init__(self, sync: SyncStore, *, flush_every: float = 2.0) -> None:
        self._sync, self._flush_every = sync, flush_every
        self._lock = threading.Lock()
        self._dirty: dict[str, dict[str, str]] = {}
        self._flushed = time.monotonic()
        self._stopped = threading.Event()

    def start(self) -> None:
        """Flush every `flush_every` seconds on a thread of its own, until `stop()`."""
        threading.Thread(target=self._run, name="kiok-marks", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self.flush()

    def _run(self) -> None:
        while not self._stopped.wait(self._flush_every):
            try:
                self.flush()
            except Exception:
                log.warning("saving live marks failed; trying again", exc_info=True)

    def seen(self, team_id: str, channel_id: str, ts: str) -> None:
        with self._lock:
            marks = self._dirty.setdefault(team_id, {})
            if channel_id not in marks or float(marks[channel_id]) < float(ts):
                marks[channel_id] = ts
            due = time.monotonic() - self._flushed >= self._flush_every
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, {}
            self._flushed = time.monotonic()
        for team_id, marks in dirty.items():
            try:
                self._sync.advance_marks(team_id, marks)
            except Exception:
                for channel_id, ts in marks.items():  # keep them for the next flush
                    self.seen(team_id, channel_id, ts)
                raise

    def get(self, team_id: str) -> dict[str, str]:
        self.flush()
        return self._sync.marks(team_id)


@dataclass
class GapReport:
    """What one gap read found: conversations read, messages fetched and newly stored, questions answered."""

    conversations: int = 0
    fetched: int = 0
    stored: int = 0
    answered: int = 0
    answered_ts: list[str] = field(default_factory=list)


class GapFiller:
    """Reads the gaps; `request()` (thread-safe, coalescing) runs a read on a background thread."""

    def __init__(
        self,
        *,
        client: WebClient,
        memory: MemoryService,
        answerer: JournaledAnswerer,
        marks: LiveMarks,
        sync: SyncStore,
        settings: SlackSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._memory, self._answerer = client, memory, answerer
        self._marks, self._sync, self._settings, self._clock = marks, sync, settings, clock
        self._lock = threading.Lock()
        self._wanted = False
        self._stopped = False
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self.reports: list[GapReport] = []

    def request(self) -> None:
        """Read the gaps soon (after a connect); requests made during a read cause one more read."""
        with self._lock:
            if self._stopped:
                return
            self._wanted = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._loop, name="kiok-gap", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._halt.set()

    def _loop(self) -> None:
        failures = 0
        while True:
            with self._lock:
                if not self._wanted or self._stopped:
                    self._thread = None
                    return
                self._wanted = False
            try:
                self.reports.append(self.fill())
                failures = 0
            except Exception:
                failures += 1
                if failures > RETRIES:
                    log.exception("reading missed history failed %d times; next try at a reconnect", failures)
                    continue
                log.warning("reading missed history failed; retrying in %d s", RETRY_SECONDS * failures)
                with self._lock:
                    self._wanted = True
                self._halt.wait(RETRY_SECONDS * failures)

    def fill(self) -> GapReport:
        """Read every conversation's gap now; returns what was found."""
        auth = self._client.auth_test()
        team_id, bot_user_id = str(auth["team_id"]), str(auth["user_id"])
        report = GapReport()
        marks, newest = self._marks.get(team_id), self._sync.newest_messages(team_id)
        if not marks and not newest:
            return report  # a new install: nothing was ever received, so nothing was missed
        fallback = max([*marks.values(), *newest.values()], key=float)
        for channel in self._conversations():
            mark = marks.get(channel["id"]) or newest.get(channel["id"]) or fallback
            since = float(mark) - OVERLAP_SECONDS
            self._fill(team_id, bot_user_id, channel, since, report)
        if report.stored or report.answered:
            log.info(
                "missed while disconnected: %d messages stored, %d questions answered",
                report.stored,
                report.answered,
            )
        return report

    def _conversations(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            resp = self._client.users_conversations(
                types=CONVERSATION_TYPES, exclude_archived=True, limit=PAGE, cursor=cursor
            )
            found += resp.get("channels") or []
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return found

    def _fill(
        self, team_id: str, bot_user_id: str, channel: dict[str, Any], since: float, report: GapReport
    ) -> None:
        channel_id = str(channel["id"])
        oldest = f"{since:.6f}"
        fetched: dict[str, dict[str, Any]] = {}
        threads: set[str] = set()
        for page, _cursor in history_pages(self._client, channel_id, oldest=oldest, page_size=PAGE):
            for m in page:
                fetched[str(m["ts"])] = m
                if m.get("reply_count") and float(m.get("latest_reply") or 0) > since:
                    threads.add(str(m["ts"]))
        active_since = f"{since - ACTIVE_THREAD_SECONDS:.6f}"
        threads.update(self._sync.active_threads(team_id, channel_id, active_since, MAX_ACTIVE_THREADS))
        by_thread: dict[str, list[dict[str, Any]]] = {}
        for thread_ts in sorted(threads):
            replies = fetch_thread(self._client, channel_id, thread_ts, page_size=PAGE)
            by_thread[thread_ts] = replies
            fetched.update((str(m["ts"]), m) for m in replies if float(m["ts"]) > since)
        report.conversations += 1
        report.fetched += len(fetched)
        records = [
            replace(r, subtype=OWN_REPLY) if m.get("user") == bot_user_id else r
            for m in fetched.values()
            if (r := message_record(team_id, channel_id, m))
        ]
        report.stored += self._memory.ingest(records)
        if fetched:
            self._marks.seen(team_id, channel_id, max(fetched, key=float))
        if self._settings.gap_answer_minutes:
            is_im = bool(channel.get("is_im"))
            for ts in sorted(fetched, key=float):
                message = {**fetched[ts], "channel": channel_id}
                if self._owed(message, bot_user_id, is_im, by_thread):
                    mention = Mention.from_event(message, team_id=team_id, bot_user_id=bot_user_id)
                    if self._answerer.answer_once(self._client, mention, source="gap"):
                        report.answered += 1
                        report.answered_ts.append(ts)

    def _owed(
        self, message: dict[str, Any], bot: str, is_im: bool, by_thread: dict[str, list[dict[str, Any]]]
    ) -> bool:
        """A question the listeners would have answered, recent enough, with no reply from Kiok after it."""
        if message.get("subtype") not in (None, "thread_broadcast") or message.get("bot_id"):
            return False
        user, text = message.get("user"), str(message.get("text") or "")
        mentioned = f"<@{bot}>" in text
        if not user or user == bot or not (is_im or mentioned):
            return False  # the listeners' rule: every DM (named or not), and channel messages naming Kiok
        if self._clock() - float(message["ts"]) > self._settings.gap_answer_minutes * 60:
            return False
        thread = by_thread.get(str(message.get("thread_ts") or message["ts"]), [])
        return not any(m.get("user") == bot and float(m["ts"]) > float(message["ts"]) for m in thread)


__all__ = ["GapFiller", "GapReport", "LiveMarks"]
