"""Socket drops and refresh requests while people talk. The emulator loses every event that finds no open
socket (as Slack does once its retries run out), so what was said meanwhile reaches Kiok only through
the gap read from `conversations.history` / `conversations.replies` after the reconnect.

KIOK_SOAK=1 runs 12 disconnects instead of 3.
"""

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from app.gap import LiveMarks
from memory.embeddings.base import Embedder
from memory.records import MessageRecord
from memory.store import MessageStore
from memory.sync_state import SyncStore
from tests.fakes.fake_ollama import FakeOllama
from tests.support.reliability import SOAK, Workload, answered, replies_to, stale_placeholders, stored

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800 if SOAK else 300)]
pytest_plugins = ["tests.e2e"]

DISCONNECTS = 12 if SOAK else 3


@pytest.fixture
def gap_bot(
    emulator: SlackEmulator, fake_ollama: FakeOllama, embedder: Embedder, tmp_path: Path
) -> Iterator[Callable[..., Bot]]:
    """Start Kiok on the emulator with `slack` settings overridden."""
    from tests.e2e import bot_settings  # a pytest plugin here: imported once pytest has loaded it

    bots: list[Bot] = []

    def start(**slack: Any) -> Bot:
        settings = bot_settings(emulator, fake_ollama.url, tmp_path)
        settings.slack = settings.slack.model_copy(update={"socket_ping_interval": 0.3, **slack})
        bot = Bot(settings, embedder=embedder)
        bot.start()
        bots.append(bot)
        emulator.wait_connected()
        return bot

    yield start
    for bot in bots:
        bot.stop()


def test_messages_and_questions_sent_while_disconnected_are_recovered_from_history(
    emulator: SlackEmulator, gap_bot: Callable[..., Bot]
) -> None:
    emulator.faults.lose_events_while_disconnected()
    bot = gap_bot()
    work = Workload.create(emulator, channels=3, seed=3)
    db, team = bot.services.settings.db_url, emulator.team_id
    for _ in range(12):
        work.say()
    emulator.wait_for(lambda: set(work.messages) <= stored(db, team), 30, interval=0.5)

    while_down: list[tuple[str, str]] = []
    for round_ in range(DISCONNECTS):
        lost = len(emulator.hub.lost_events())
        emulator.drop_sockets(abrupt=round_ % 2 == 0)
        assert emulator.connections == 0
        while_down += [work.say() for _ in range(6)] + [work.ask()]
        # What was said before the client reconnected (within ping_interval) is lost for good; a client
        # already reconnecting when the sockets were cut may catch all of it, which is fine too.
        with contextlib.suppress(TimeoutError):
            emulator.wait_for(lambda: len(emulator.hub.lost_events()) > lost, 3)  # noqa: B023
        if round_ == 0:  # the gap read is rate limited: it waits out Retry-After and carries on
            emulator.faults.rate_limit("conversations.history", times=2, retry_after=1)
        emulator.wait_connected(30)  # the Socket Mode client reconnects by itself
        for _ in range(4):
            work.say()  # events flow again
        opened = len(emulator.calls("apps.connections.open"))
        emulator.request_refresh()  # Slack asks for a new connection while people keep talking
        for _ in range(6):
            work.say()
            time.sleep(0.05)
        emulator.wait_for(lambda: len(emulator.calls("apps.connections.open")) > opened, 10)  # noqa: B023
        emulator.wait_for(lambda: emulator.connections == 1, 10)  # the client closed the old socket

    emulator.wait_for(lambda: set(work.messages) <= stored(db, team), 60, interval=0.5)
    emulator.wait_for(lambda: answered(emulator, work.questions), 60, interval=0.5)
    per_question = [len(replies_to(emulator, *q)) for q in work.questions]
    report = {
        "disconnects": DISCONNECTS,
        "events_lost_by_slack": len(emulator.hub.lost_events()),
        "said_while_down": len(while_down),
        "recovered": len(set(while_down) & stored(db, team)),
        "messages_expected": len(work.messages),
        "messages_stored": len(set(work.messages) & stored(db, team)),
        "questions_while_down": len(work.questions),
        "answers_per_question": sorted(set(per_question)),
        "gap_reads": len(bot.delivery.gap.reports),
        "answered_from_gap": sum(r.answered for r in bot.delivery.gap.reports),
        "history_429s": sum(1 for c in emulator.calls("conversations.history") if c.status == 429),
        "stale_placeholders": len(stale_placeholders(emulator, work.channels)),
    }
    print("socket gaps:", report)
    assert report["events_lost_by_slack"] > 0 and report["recovered"] == len(while_down)
    assert sum(1 for c in emulator.calls("conversations.history") if c.status == 429) == 2
    assert report["messages_stored"] == len(work.messages)
    assert per_question == [1] * len(work.questions)
    assert report["stale_placeholders"] == 0
    assert report["answered_from_gap"] >= 1  # the others arrived live: the client reconnected first


def test_a_gap_question_is_stored_but_not_answered_when_gap_answers_are_off(
    emulator: SlackEmulator, gap_bot: Callable[..., Bot]
) -> None:
    emulator.faults.lose_events_while_disconnected()
    bot = gap_bot(gap_answer_minutes=0)
    work = Workload.create(emulator, channels=1, seed=4)
    db, team = bot.services.settings.db_url, emulator.team_id
    work.say()
    emulator.wait_for(lambda: set(work.messages) <= stored(db, team), 30, interval=0.5)
    reads = len(bot.delivery.gap.reports)
    emulator.drop_sockets(abrupt=True)
    channel, ts = work.ask()
    emulator.wait_connected(30)
    emulator.wait_for(lambda: len(bot.delivery.gap.reports) > reads, 30)
    assert (channel, ts) in stored(db, team)
    assert replies_to(emulator, channel, ts) == []
    assert bot.delivery.answerer.journal.get((team, channel, ts)) is None


def test_live_marks_only_rise_and_threads_active_since_a_mark_are_found(store: MessageStore) -> None:
    """On SQLite and PostgreSQL: the high-water marks a gap read starts from."""
    sync = SyncStore(store.engine)
    marks = LiveMarks(sync, flush_every=3600)
    marks.seen("T1", "C1", "1700000010.000000")
    marks.seen("T1", "C1", "1700000005.000000")  # an older event handled later
    marks.seen("T1", "D1", "1700000001.000000")
    assert sync.marks("T1") == {}  # not flushed yet
    assert marks.get("T1") == {"C1": "1700000010.000000", "D1": "1700000001.000000"}
    sync.advance_marks("T1", {"C1": "1700000002.000000"})
    assert sync.marks("T1")["C1"] == "1700000010.000000"
    store.upsert_messages(
        [
            MessageRecord("T1", "C1", "1690000000.000000", "old root", thread_ts="1690000000.000000"),
            MessageRecord("T1", "C1", "1700000003.000000", "recent reply", thread_ts="1690000000.000000"),
            MessageRecord("T1", "C1", "1600000000.000000", "quiet root", thread_ts="1600000000.000000"),
        ]
    )
    assert sync.active_threads("T1", "C1", "1700000000.000000", 10) == ["1690000000.000000"]
    assert sync.newest_messages("T1") == {"C1": "1700000003.000000"}
