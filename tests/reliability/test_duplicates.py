"""Slack retries: every event delivered 1–4 times, all deliveries shuffled together, through the real Bolt
app over the emulator. Each question is answered exactly once and each message stored once.

KIOK_SOAK=1 runs 5,000 events instead of 1,000.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from memory.journal import DeliveryJournal, Question
from memory.records import MessageRecord
from memory.store import MessageStore
from tests.fakes.fake_ollama import FakeOllama
from tests.support.reliability import (
    SOAK,
    Workload,
    answered,
    event_of,
    replies_to,
    stale_placeholders,
    stored,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800 if SOAK else 300)]
pytest_plugins = ["tests.e2e"]

EVENTS = 5000 if SOAK else 1000
QUESTION_SHARE = 0.1  # of the messages; a question is two events (`message` and `app_mention`)


def test_every_event_delivered_one_to_four_times_in_random_order_is_handled_once(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    work = Workload.create(emulator, channels=4, seed=6)
    budget = EVENTS
    while budget:
        if budget >= 2 and work.rng.random() < QUESTION_SHARE:
            work.ask(deliver=False)
            budget -= 2
        else:
            work.say(deliver=False)
            budget -= 1

    asked = set(work.questions)
    deliveries: list[tuple[dict[str, Any], str]] = []
    for n, (channel, ts) in enumerate(work.messages):
        for kind in ["message", "app_mention"] if (channel, ts) in asked else ["message"]:
            event = event_of(emulator, channel, ts, kind)
            deliveries += [(event, f"Ev{n:05d}{kind[:3].upper()}")] * work.rng.randint(1, 4)
    assert len({event_id for _event, event_id in deliveries}) == EVENTS
    work.rng.shuffle(deliveries)
    for event, event_id in deliveries:
        emulator.deliver_event(event, event_id=event_id)

    db, team = bot.services.settings.db_url, emulator.team_id
    patience = 120 * EVENTS / 1000  # seconds; 2 shared CPU cores handle about 50 deliveries a second
    emulator.wait_for(lambda: set(work.messages) <= stored(db, team), patience, interval=0.5)
    emulator.wait_for(lambda: answered(emulator, work.questions), patience, interval=0.5)
    emulator.wait_for(settled(emulator), patience, interval=0.5)  # retries done or given up, as Slack does

    per_question = Counter(len(replies_to(emulator, *q)) for q in work.questions)
    placeholders = [c for c in emulator.calls("chat.postMessage") if c.status == 200]
    report = {
        "events": EVENTS,
        "deliveries": len(deliveries),
        "duplicates": len(deliveries) - EVENTS,
        "acked": len(emulator.acks()),
        "events_handled": bot.delivery.answerer.journal.event_counts().get("done", 0),
        "questions": len(work.questions),
        "answers_per_question": dict(per_question),
        "messages_expected": len(work.messages),
        "messages_stored": len(set(work.messages) & stored(db, team)),
        "error_replies": sum(":warning:" in replies_to(emulator, *q)[0]["text"] for q in work.questions),
        "llm_calls": len(fake_ollama.bodies("/api/chat")),
        "stale_placeholders": len(stale_placeholders(emulator, work.channels)),
    }
    print("duplicates:", report)
    # duplicates really reached Kiok: every delivery went over the socket (acks of frames sent in a burst may
    # be lost by the client library under load, so they do not count)
    sent = sum(1 for e in emulator.envelopes() if e.get("type") == "events_api")
    assert sent >= len(deliveries)
    assert per_question == Counter({1: len(work.questions)}), per_question
    assert len(placeholders) == len(work.questions)  # no placeholder for a duplicate
    assert report["llm_calls"] == len(work.questions)
    assert report["messages_stored"] == len(work.messages)  # once each: (team, channel, ts) is unique
    assert report["error_replies"] == 0
    assert report["stale_placeholders"] == 0
    assert set(bot.delivery.answerer.journal.event_counts()) == {"done"}  # nothing left unhandled
    assert bot.delivery.answerer.journal.mention_counts() == {"done": len(work.questions)}


def settled(emu: SlackEmulator, quiet: float = 3.0) -> Callable[[], bool]:
    """True once no ack arrived for `quiet` seconds (redeliveries of unacked events come within 3 s)."""
    seen = {"acks": -1, "since": time.monotonic()}

    def check() -> bool:
        acks = len(emu.acks())
        if acks != seen["acks"]:
            seen["acks"], seen["since"] = acks, time.monotonic()
        return time.monotonic() - seen["since"] >= quiet

    return check


def test_a_claim_and_its_inbox_row_are_one_transaction(store: MessageStore) -> None:
    """On SQLite and PostgreSQL: a retry is refused before it touches the inbox; the first claim is there."""
    journal = DeliveryJournal(store.engine)
    assert store.claim_event("Ev1", "message", body='{"event_id": "Ev1"}')
    assert not store.claim_event("Ev1", "message", body='{"event_id": "Ev1", "retry": 1}')
    assert [(e.event_id, e.body) for e in journal.pending_events()] == [("Ev1", '{"event_id": "Ev1"}')]
    journal.event_done("Ev1")
    assert journal.pending_events() == [] and journal.event_counts() == {"done": 1}
    question = Question("T1", "C1", "1.000001", "1.000001", "U1", "<@UBOT> why?")
    assert journal.open(question) and not journal.open(question)  # live event, then a gap read
    journal.started(question.key)
    journal.placeholder(question.key, "1.000002")
    assert journal.unfinished() == [replace(question, reply_ts="1.000002", attempts=1)]
    journal.finish(question.key)
    found = journal.get(question.key)
    assert found is not None and found.state == "done" and found.text == ""  # the question is erased
    assert journal.replies_in("T1", "C1", "1.000001") == {"1.000002"}


def test_history_reads_racing_live_events_store_each_message_once(store: MessageStore) -> None:
    """On SQLite and PostgreSQL: threads storing overlapping batches (a gap read of 200 messages while
    live events store the same ones singly) never fail and never duplicate."""
    records = [MessageRecord("T1", "C1", f"1700000000.{i:06d}", f"message {i}") for i in range(200)]
    errors: list[BaseException] = []

    def store_all(order: int) -> None:
        batch = records[order::3] + records[: order * 10]
        try:
            if order == 0:
                for _ in range(3):  # without the one-at-a-time fallback this fails in 9 runs of 10
                    store.upsert_messages(records)
                return
            for rec in batch:
                store.upsert_messages([rec])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=store_all, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert store.count_messages("T1", "C1") == 200
