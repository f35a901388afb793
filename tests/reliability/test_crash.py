"""`kill -9` of the real bot process at random points while it stores messages, answers questions and
posts digests, then a restart on the same database and data directory. Nothing said before, during or
after a crash is lost, every question gets exactly one reply (an answer, or a notice that it failed), no
reply is left "working…", and no digest is posted twice.

The emulator loses events that find no open socket, so what was said while Kiok was dead comes back
through the start-up gap read; what Kiok had acknowledged but not handled comes back from its inbox.
KIOK_SOAK=1 kills it 12 times instead of 3.
"""

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.bootstrap import Bot, open_store
from app.emulator import SlackEmulator, events
from app.i18n import t
from app.recovery import RecoveryReport
from app.reply import CURSOR
from memory.db import create_db_engine
from memory.embeddings.base import Embedder
from memory.journal import DeliveryJournal, Question
from memory.surface_models import DigestPost
from tests.fakes.fake_ollama import FakeOllama
from tests.support.reliability import (
    SOAK,
    BotProcess,
    Workload,
    answered,
    event_of,
    journal_states,
    replies_to,
    stale_placeholders,
    stored,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800 if SOAK else 300)]
pytest_plugins = ["tests.e2e"]

KILLS = 12 if SOAK else 3
ANSWER = "Status: " + " ".join(f"PROJ step {i} is on track." for i in range(12))
START_TIMEOUT = 90.0  # a process start loads the embedding model and migrates the database


@pytest.fixture
def slow_llm() -> Iterator[FakeOllama]:
    """Answers stream for about a second, so that kills land in the middle of them."""
    with FakeOllama(responder=lambda body: ANSWER) as llm:
        llm.token_delay(0.015)
        yield llm


def test_kill_9_at_random_points_loses_nothing_and_repeats_nothing(
    emulator: SlackEmulator, slow_llm: FakeOllama, tmp_path: Path
) -> None:
    emulator.faults.lose_events_while_disconnected()
    work = Workload.create(emulator, channels=3, seed=9)
    bot = BotProcess(emulator, llm_url=slow_llm.url, data_dir=tmp_path / "kiok", log_dir=tmp_path)
    db = f"sqlite:///{tmp_path / 'kiok' / 'kiok.db'}"
    bot.start()
    try:
        emulator.wait_connected(START_TIMEOUT)
        for _ in range(5):
            work.say()
        for kill in range(KILLS):
            for _ in range(work.rng.randint(10, 25)):  # people talk and ask while Kiok is up
                work.ask() if work.rng.random() < 0.2 else work.say()
            if kill % 2 == 0:
                emulator.send_slash_command(
                    "/kiok", "digest now", user=work.people[0], channel=work.channels[0]
                )
            time.sleep(work.rng.uniform(0.1, 2.0))
            bot.kill()
            emulator.wait_for(lambda: emulator.connections == 0, 10)
            for _ in range(work.rng.randint(3, 6)):  # and while it is dead
                work.say()
            work.ask()
            bot.start()
            emulator.wait_connected(START_TIMEOUT)
        for _ in range(5):
            work.say()
        work.ask()
        emulator.wait_for(lambda: set(work.messages) <= stored(db, emulator.team_id), 120, interval=0.5)
        emulator.wait_for(lambda: answered(emulator, work.questions), 240, interval=0.5)
        emulator.wait_for(lambda: "pending" not in journal_states(db)[1], 30, interval=0.5)
    finally:
        bot.stop()

    per_question = Counter(len(replies_to(emulator, *q)) for q in work.questions)
    failed_notices = sum("could not finish" in replies_to(emulator, *q)[0]["text"] for q in work.questions)
    logs = "\n".join(bot.logs())
    recovered = Counter[str]()
    for match in re.finditer(r"RecoveryReport\(([^)]*)\)", logs):
        recovered.update({k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))})
    digests = _digests(emulator, db, work.channels)
    report: dict[str, Any] = {
        "kills": KILLS,
        "starts": bot.starts,
        "messages_expected": len(work.messages),
        "messages_stored": len(set(work.messages) & stored(db, emulator.team_id)),
        "questions": len(work.questions),
        "answers_per_question": dict(per_question),
        "failed_notices": failed_notices,
        "stale_placeholders": len(stale_placeholders(emulator, work.channels)),
        "journal": journal_states(db)[0],
        "recovery": dict(recovered),
        "gap_stored": sum(int(n) for n in re.findall(r"missed while disconnected: (\d+) messages", logs)),
        "digests": digests,
    }
    print("crash:", report)
    assert report["messages_stored"] == len(work.messages)
    assert per_question == Counter({1: len(work.questions)}), per_question
    assert report["stale_placeholders"] == 0
    assert set(report["journal"]) <= {"done", "failed"}
    assert report["journal"].get("failed", 0) == failed_notices
    assert digests["messages"] <= digests["claimed_periods"] and digests["posted"] <= digests["messages"]
    assert digests["messages"] == len(set(digests["message_ts"]))


def _digests(emu: SlackEmulator, db: str, channels: list[str]) -> dict[str, Any]:
    """Kiok's top-level messages (only digests are top level) against the periods claimed in SQL."""
    top = [m["ts"] for c in channels for m in emu.messages(c) if m.get("user") == emu.bot_user_id]
    engine = create_db_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(DigestPost.period_key, DigestPost.state)).all()
    finally:
        engine.dispose()
    return {
        "messages": len(top),
        "message_ts": top,
        "claimed_periods": len(rows),
        "posted": sum(1 for _key, state in rows if state == "posted"),
    }


def test_a_restart_finishes_each_kind_of_work_a_dead_process_left(
    emulator: SlackEmulator, fake_ollama: FakeOllama, embedder: Embedder, tmp_path: Path
) -> None:
    """Each state a crash can leave, set up in SQL and Slack exactly as the dead process left it."""
    from tests.e2e import bot_settings  # a pytest plugin here: imported once pytest has loaded it

    work = Workload.create(emulator, channels=1, seed=2)
    settings = bot_settings(emulator, fake_ollama.url, tmp_path)
    store = open_store(settings)
    journal = DeliveryJournal(store.engine)
    team, channel = emulator.team_id, work.channels[0]
    said = work.say(deliver=False)
    acked = work.ask(deliver=False)  # claimed and acknowledged, the listener never ran
    for kind, event_id in (("message", "EvSAID"), ("app_mention", "EvASKED")):
        message = said if kind == "message" else acked
        body = events.event_callback(
            emulator.identity, event_of(emulator, *message, kind), event_id=event_id, event_time=1
        )
        assert store.claim_event(event_id, kind, body=json.dumps(body))

    def asked(working: str | None, *, record: bool = True, attempts: int = 0) -> tuple[str, str]:
        """A question whose answer was in progress: its placeholder says `working` (None: not posted)."""
        question = work.ask(deliver=False)
        text = emulator.thread(*question)[0]["text"]
        key = (team, *question)
        journal.open(Question(team, question[0], question[1], question[1], work.people[0], text))
        for _ in range(attempts):
            journal.started(key)
        if working is not None:
            ts = emulator.workspace.post(channel, emulator.bot_user_id, text=working, thread_ts=question[1])[
                1
            ]["ts"]
            if record:
                journal.placeholder(key, ts)
        return question

    streaming = asked("Status: PROJ step 1 is" + CURSOR)  # cut off mid-stream
    unrecorded = asked(t("working", "en"), record=False)  # placeholder posted, its ts never saved
    unposted = asked(None)  # journaled, placeholder not yet posted
    final = asked("PROJ-1 is in review.")  # the final edit made it, the journal's `done` did not
    doomed = asked(t("thinking", "en"), attempts=3)  # the model was cut off three times already
    store.engine.dispose()

    bot = Bot(settings, embedder=embedder)
    bot.start()
    try:
        emulator.wait_connected()
        assert bot.delivery.recovery is not None
        assert bot.delivery.recovery.done.wait(30)
        emulator.wait_for(lambda: {said, acked} <= stored(settings.db_url, team), 30)
        emulator.wait_for(lambda: answered(emulator, work.questions), 60, interval=0.5)
        assert bot.delivery.recovery.report == RecoveryReport(
            resumed=3, already_final=1, failed=1, replayed=2
        )
        assert [len(replies_to(emulator, *q)) for q in work.questions] == [1] * len(work.questions)
        for question in (streaming, unrecorded):  # answered in the very placeholder that was left
            assert replies_to(emulator, *question)[0]["text"].startswith("You said: ")
        assert replies_to(emulator, *final)[0]["text"] == "PROJ-1 is in review."
        assert "could not finish" in replies_to(emulator, *doomed)[0]["text"]
        assert stale_placeholders(emulator, work.channels) == []
        emulator.wait_for(lambda: journal.event_counts() == {"done": 2}, 10)
        assert journal.mention_counts() == {"done": 5, "failed": 1}
        assert len(fake_ollama.bodies("/api/chat")) == 4  # acked, streaming, unrecorded, unposted
        assert unposted in work.questions
    finally:
        bot.stop()


def test_a_placeholder_post_that_timed_out_is_found_and_answered_in_place(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    """No crash, but the same uncertainty: Slack took the placeholder after Kiok gave up waiting (5 s)."""
    bot = start_bot()
    work = Workload.create(emulator, channels=1, seed=5)
    emulator.faults.delay("chat.postMessage", 6.0, times=1)
    question = work.ask()
    emulator.wait_for(lambda: answered(emulator, work.questions), 40, interval=0.5)
    replies = replies_to(emulator, *question)
    assert len(replies) == 1 and replies[0]["text"].startswith("You said: ")
    assert len(emulator.calls("chat.postMessage")) == 1  # the late placeholder was reused, not doubled
    assert bot.delivery.answerer.journal.mention_counts() == {"done": 1}
