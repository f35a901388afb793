"""A scheduled digest first summarizes the channel's ready conversation, so a quiet channel's decision
shows in the next digest even when its batch would otherwise wait days (real Bot, emulator, fake Ollama)."""

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


def test_a_scheduled_digest_summarizes_what_is_ready_before_reading_the_summaries(
    bot: Bot, emulator: SlackEmulator, fake_ollama: FakeOllama
) -> None:
    alice = emulator.add_user(name="alice")
    channel = emulator.add_channel("billing", members=[alice])
    emulator.post_message(channel, alice, "Decision: billing uses Avro for serialization.")
    store = bot.services.store
    emulator.wait_for(lambda: store.count_messages(emulator.team_id, channel) >= 1)
    emulator.advance(2 * 86_400)  # the day is over: its segment is ready, but far below the batch thresholds
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
