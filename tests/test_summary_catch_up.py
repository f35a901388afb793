"""A scheduled digest, and `/kiok brief`, first summarize the channel's ready conversation, so a quiet
channel's decision shows even when its batch would otherwise wait days (real Bot, emulator, fake Ollama)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from memory.embeddings.base import Embedder
from memory.summaries import SummaryStore
from summarizer.schemas import batch_segment_ids
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]


def capable(body: dict[str, Any]) -> str:
    """A batch answer recording the Avro decision (message 1); plain text for anything else."""
    if "format" not in body:
        return "Billing settled on Avro."
    ids = batch_segment_ids(body["format"])
    segments = [{"id": i, "summary": "Billing chose Avro."} for i in ids]
    return json.dumps({"segments": segments, "decisions": [{"text": "Billing uses Avro", "source": [1]}]})


@pytest.fixture
def bot(
    emulator: SlackEmulator, fake_ollama: FakeOllama, embedder: Embedder, tmp_path: Path
) -> Iterator[Bot]:
    from tests.e2e import bot_settings  # a pytest plugin here: imported once pytest has loaded it

    settings = bot_settings(emulator, fake_ollama.url, tmp_path)
    lazy = {"workers": 1, "batch_min_tokens": 100_000, "batch_max_wait_hours": 1000, "tick_seconds": 3600}
    settings = settings.model_copy(update={"summary": settings.summary.model_copy(update=lazy)})
    fake_ollama.responder = capable
    started = Bot(
        settings, embedder=embedder, clock=lambda: datetime.fromtimestamp(emulator.clock.now(), UTC)
    )
    started.start()
    emulator.wait_connected()
    try:
        yield started
    finally:
        started.stop()


def decided_two_days_ago(bot: Bot, emulator: SlackEmulator) -> tuple[str, str]:
    """Alice's decision in #billing, stored; then two days pass: its day is over, so its segment is ready,
    but far below the batch thresholds."""
    alice = emulator.add_user(name="alice")
    channel = emulator.add_channel("billing", members=[alice])
    emulator.post_message(channel, alice, "Decision: billing uses Avro for serialization.")
    emulator.wait_for(lambda: bot.services.store.count_messages(emulator.team_id, channel) >= 1)
    emulator.advance(2 * 86_400)
    return alice, channel


def test_a_scheduled_digest_summarizes_what_is_ready_before_reading_the_summaries(
    bot: Bot, emulator: SlackEmulator, fake_ollama: FakeOllama
) -> None:
    alice, channel = decided_two_days_ago(bot, emulator)
    store = bot.services.store
    bot.services.summaries.planner.plan(now=bot.services.clock())
    assert bot.services.summaries.queue.counts().get("queued", 0) == 0  # nothing due on its own

    digests = bot.services.digests
    digests.set_schedule(emulator.team_id, channel, "weekly", 0, "09:00", "UTC", alice)
    posted = digests.run_scheduled(emulator.team_id, channel)

    assert posted is not None
    digest = next(m for m in emulator.messages(channel) if m["ts"] == posted)
    assert "Billing uses Avro" in json.dumps(digest["blocks"])
    items = SummaryStore(store.engine).items(emulator.team_id, channel, kinds=["decision"])
    assert [i.text for i in items] == ["Billing uses Avro"]
    assert any("format" in b for b in fake_ollama.bodies("/api/chat"))  # the batch ran before the post


def test_kiok_brief_queues_the_ready_conversation_and_says_the_brief_is_being_updated(
    bot: Bot, emulator: SlackEmulator, fake_ollama: FakeOllama
) -> None:
    alice, channel = decided_two_days_ago(bot, emulator)

    def brief() -> str:
        before = len(emulator.ephemerals(channel, alice))
        emulator.send_slash_command("/kiok", "brief", user=alice, channel=channel).wait(3.0)
        found = emulator.wait_for(lambda: emulator.ephemerals(channel, alice)[before:])
        return json.dumps(found[-1], ensure_ascii=False)

    fake_ollama.delay_first_token(1.0)  # a model that takes its time: the command must not wait for it
    first = brief()
    assert "being summarized now" in first  # answered at once, the batch queued behind it
    assert bot.services.summaries.planner.wait_done(emulator.team_id, channel, timeout=20)
    fake_ollama.reset()
    second = brief()
    assert "Billing uses Avro" in second and "being summarized" not in second
