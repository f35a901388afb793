"""Answers that survive crashes: each question answered once, and what a dead process left unfinished
finished by the next one.

Delivery guarantees (docs/reliability.md): Bolt acknowledges a Socket Mode event before its listener runs,
so the dedupe middleware claims the `event_id` and puts the event in the inbox in one transaction, and
the inbox row is marked done only when the listener has run. A question (mention, DM, follow-up) opens a
row in the mention journal keyed by its message, records the ts of its placeholder reply as soon as it is
posted, and is marked done once the final text replaced the placeholder. At start-up, before connecting,
`Recovery` takes what the dead process left: an unfinished answer is started again in its own placeholder
(edited to say it was interrupted) or, after `answer_attempts` tries, the placeholder says it failed; a
placeholder posted but never recorded is found in the thread. Then inbox events never handled are given to
the listeners again. An answer that fails in a running process before its reply is written (a Slack call
timed out) is finished the same way a few seconds later. A reply is never left "working…".

One bot process per database: recovery treats every unfinished row at start-up as left by a dead process.
"""

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.answers import Mention, MentionAnswerer
from app.i18n import STRINGS, t
from app.reply import CURSOR, ReplyHooks
from app.slack_data import fetch_thread
from app.slack_text import strip_mention
from memory.journal import ANSWERING, DONE, FAILED, DeliveryJournal, PendingEvent, Question
from summarizer.language import detect_language

log = logging.getLogger(__name__)

REPLAY = "kiok_replay"  # BoltContext key: this request replays an inbox event (already claimed)
INBOX_KINDS = ("message", "app_mention")  # events whose listeners store or answer something
MAX_REPLAYS = 3  # an event that keeps killing the process is dropped after this many replays
RETRY_SECONDS = 5.0  # an answer that failed before its reply was written is retried after 5, 10, ... s
PROGRESS_KEYS = ("working", "thinking", "recalling", "queued", "answer_interrupted")

Key = tuple[str, str, str]


def is_progress(text: str) -> bool:
    """Whether `text` is a placeholder or a streaming answer (not a final reply)."""
    if text.endswith(CURSOR):
        return True
    for key in PROGRESS_KEYS:
        for template in STRINGS.get(key, {}).values():
            head = template.split("{", 1)[0]
            if text == template or ("{" in template and head and text.startswith(head)):
                return True
    return False


@dataclass
class _Track:
    resume_ts: str | None
    built: bool = False
    posted: str | None = None


class JournaledAnswerer(MentionAnswerer):
    """Answers each question once (live event, replay or gap read alike) and journals its reply."""

    def __init__(self, *, journal: DeliveryJournal, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.journal = journal
        self.on_error: Callable[[Key], None] | None = None  # an answer failed before its reply was written
        self._lock = threading.Lock()
        self._tracks: dict[Key, _Track] = {}

    def answer(self, client: WebClient, mention: Mention) -> None:
        self.answer_once(client, mention)

    def answer_once(self, client: WebClient, mention: Mention, *, source: str = "event") -> bool:
        """Answer unless this question is or was already being answered; True when it is answered now."""
        question = Question(
            team_id=mention.team_id,
            channel_id=mention.channel,
            ts=mention.ts,
            thread_ts=mention.thread_ts,
            user_id=mention.user,
            text=mention.text,
            source=source,
        )
        if not self.journal.open(question):
            log.info("%s/%s is already answered or being answered", mention.channel, mention.ts)
            return False
        self._journaled(client, mention, resume_ts=None)
        return True

    def resume(self, client: WebClient, mention: Mention, reply_ts: str | None) -> None:
        """Answer again a question whose answer was interrupted, reusing its reply `reply_ts` if any."""
        self._journaled(client, mention, resume_ts=reply_ts)

    def _journaled(self, client: WebClient, mention: Mention, *, resume_ts: str | None) -> None:
        key = (mention.team_id, mention.channel, mention.ts)
        track = _Track(resume_ts)
        with self._lock:
            self._tracks[key] = track
        try:
            super().answer(client, mention)
        except Exception:  # e.g. a Slack call timed out: whether the placeholder went out is unknown
            log.exception("answering %s/%s failed before its reply was written", mention.channel, mention.ts)
            if self.on_error is not None:
                self.on_error(key)
            return
        finally:
            with self._lock:
                self._tracks.pop(key, None)
        if not track.built:
            self.journal.finish(key, DONE)  # declined before replying (a rate limit told the user)
        elif track.posted is None:
            self.journal.finish(key, FAILED)  # Slack refused the placeholder: nothing to finish later

    def reply_hooks(self, mention: Mention) -> ReplyHooks:
        key = (mention.team_id, mention.channel, mention.ts)
        with self._lock:
            track = self._tracks.get(key)
        if track is None:
            return ReplyHooks()
        track.built = True

        def posted(ts: str) -> None:
            track.posted = ts
            self.journal.placeholder(key, ts)

        return ReplyHooks(
            resume_ts=track.resume_ts,
            on_posted=posted,
            on_streaming=lambda: self.journal.started(key),
            on_finished=lambda: self.journal.finish(key, DONE),
        )


class InboxCompletion(ListenerCompletionHandler):
    """Marks an inbox event done once its listener has run (raised or not), and tells `on_event`."""

    def __init__(self, journal: DeliveryJournal, on_event: Any = None) -> None:
        self._journal, self._on_event = journal, on_event

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        event = body.get("event") or {}
        if body.get("event_id") and event.get("type") in INBOX_KINDS:
            self._journal.event_done(str(body["event_id"]))
        if self._on_event is not None and event:
            self._on_event(str(body.get("team_id") or ""), event)


def install_inbox(app: App, journal: DeliveryJournal, on_event: Any = None) -> None:
    """Mark inbox events done after their listener (Bolt offers no public hook for this one)."""
    runner = getattr(app, "_listener_runner", None)
    if runner is None or not hasattr(runner, "listener_completion_handler"):
        raise RuntimeError("this slack_bolt has no listener completion handler; pin slack-bolt<2")
    runner.listener_completion_handler = InboxCompletion(journal, on_event)


@dataclass
class RecoveryReport:
    resumed: int = 0
    already_final: int = 0
    failed: int = 0
    replayed: int = 0


class Recovery:
    """What a dead process left: `take()` before connecting, `run()` (or `start()`) after."""

    def __init__(
        self,
        *,
        app: App,
        client: WebClient,
        answerer: JournaledAnswerer,
        journal: DeliveryJournal,
        attempts: int,
    ) -> None:
        self._app, self._client, self._answerer = app, client, answerer
        self._journal, self._attempts = journal, attempts
        self._questions: list[Question] = []
        self._events: list[PendingEvent] = []
        self._retries: dict[Key, int] = {}
        self._lock = threading.Lock()
        self.report = RecoveryReport()
        self.done = threading.Event()
        answerer.on_error = self.retry_later

    def retry_later(self, key: Key) -> None:
        """Finish, after a pause, a question whose answer failed in this process before its reply was
        written (as after a restart: its placeholder, if it got out, is found and reused); after
        `attempts` failures its reply says it failed."""
        with self._lock:
            tries = self._retries[key] = self._retries.get(key, 0) + 1
        timer = threading.Timer(RETRY_SECONDS * tries, self._retry, args=(key, tries > self._attempts))
        timer.daemon = True
        timer.start()

    def _retry(self, key: Key, give_up: bool) -> None:
        question = self._journal.get(key)
        if question is None or question.state != ANSWERING:
            return
        try:
            self._finish(question, str(self._client.auth_test()["user_id"]), give_up=give_up)
        except Exception:
            log.warning("finishing %s/%s failed; trying again", key[1], key[2], exc_info=True)
            if not give_up:
                self.retry_later(key)

    def take(self) -> None:
        """Note the unfinished work; everything found now belongs to a process that is gone."""
        self._questions = self._journal.unfinished()
        self._events = self._journal.pending_events()

    def start(self) -> None:
        threading.Thread(target=self.run, name="kiok-recovery", daemon=True).start()

    def run(self) -> RecoveryReport:
        try:
            if self._questions or self._events:
                bot_user_id = str(self._client.auth_test()["user_id"])
                for question in self._questions:
                    try:
                        self._finish(question, bot_user_id)
                    except SlackApiError as exc:  # this one stays unfinished for the next start
                        log.warning("finishing %s/%s failed: %s", question.channel_id, question.ts, exc)
                for event in self._events:
                    self._replay(event)
                log.info("recovered after a restart: %s", self.report)
        except Exception:
            log.exception("recovering unfinished work failed; it is retried at the next start")
        finally:
            self.done.set()
        return self.report

    def _finish(self, question: Question, bot_user_id: str, *, give_up: bool = False) -> None:
        key, channel = question.key, question.channel_id
        language = detect_language(strip_mention(question.text, bot_user_id))
        try:
            thread = fetch_thread(self._client, channel, question.thread_ts)
        except SlackApiError as exc:
            log.warning("cannot read %s/%s to finish its answer: %s", channel, question.ts, exc)
            self._journal.finish(key, FAILED)
            self.report.failed += 1
            return
        reply_ts = question.reply_ts or self._stale_placeholder(question, thread, bot_user_id)
        shown = next((m.get("text") or "" for m in thread if m["ts"] == reply_ts), None)
        if shown is not None and not is_progress(shown):
            self._journal.finish(key, DONE)  # the final answer made it; only the journal missed it
            self.report.already_final += 1
            return
        if shown is None:
            reply_ts = None  # deleted meanwhile: a new reply is posted
        if give_up or question.attempts >= self._attempts:
            text = t("answer_failed", language)
            if reply_ts:
                self._client.chat_update(channel=channel, ts=reply_ts, text=text)
            else:
                self._client.chat_postMessage(channel=channel, thread_ts=question.thread_ts, text=text)
            self._journal.finish(key, FAILED)
            self.report.failed += 1
            return
        if reply_ts:
            self._client.chat_update(channel=channel, ts=reply_ts, text=t("answer_interrupted", language))
            self._journal.placeholder(key, reply_ts)
        mention = Mention(
            team_id=question.team_id,
            channel=channel,
            ts=question.ts,
            thread_ts=question.thread_ts,
            user=question.user_id,
            text=question.text,
            bot_user_id=bot_user_id,
        )
        self._answerer.resume(self._client, mention, reply_ts)
        self.report.resumed += 1

    def _stale_placeholder(self, question: Question, thread: list[dict[str, Any]], bot: str) -> str | None:
        """A placeholder posted for `question` whose ts never reached the journal (a crash in between)."""
        taken = self._journal.replies_in(question.team_id, question.channel_id, question.thread_ts)
        for m in thread:
            ts = str(m["ts"])
            mine = m.get("user") == bot and float(ts) > float(question.ts) and ts not in taken
            if mine and is_progress(str(m.get("text") or "")):
                return ts
        return None

    def _replay(self, event: PendingEvent) -> None:
        if event.replays >= MAX_REPLAYS:
            log.error("dropping event %s: handling it failed %d times", event.event_id, event.replays)
            self._journal.event_done(event.event_id)
            return
        self._journal.count_replay(event.event_id)
        body = json.loads(event.body)
        response = self._app.dispatch(BoltRequest(body=body, mode="socket_mode", context={REPLAY: True}))
        if response.status == 404:  # no listener wanted it: nothing will mark it done
            self._journal.event_done(event.event_id)
        self.report.replayed += 1


__all__ = [
    "INBOX_KINDS",
    "REPLAY",
    "InboxCompletion",
    "JournaledAnswerer",
    "Recovery",
    "RecoveryReport",
    "install_inbox",
    "is_progress",
]
