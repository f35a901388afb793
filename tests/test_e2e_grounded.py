"""Answers grounded in memory, end to end: recalled notes in the prompt, cited sources as permalinks,
and nothing from a private channel ever reaching another channel's answer."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from memory.summaries import EpisodeRecord, ItemRecord, SummaryStore
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]

DAY = 86400


def cite_note_containing(word: str) -> Callable[[dict[str, Any]], str]:
    """Plays a model that answers from the note mentioning `word`, citing it."""

    def answer(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        notes = prompt.split("<notes>")[1].split("</notes>")[0]
        for line in notes.splitlines():
            if word in line and (number := re.match(r"\[(\d+)\]", line)):
                return f"We picked Postgres for the event store [{number.group(1)}]."
        return "I don't have that in memory."

    return answer


def bot_replies(emu: SlackEmulator, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in emu.thread(channel, ts) if m.get("user") == emu.bot_user_id]


def test_answer_cites_a_permalink_to_a_message_from_three_days_earlier(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    alice = emulator.add_user(name="alice", real_name="Alice Kim")
    channel = emulator.add_channel(name="platform", members=[alice])
    decided = emulator.post_message(channel, alice, "Decision: we use Postgres for the event store (OPS-12).")
    emulator.post_message(channel, alice, "Lunch is at noon today.")
    emulator.wait_for(lambda: bot.services.store.count_messages(emulator.team_id, channel) == 2)
    assert bot.services.index_worker.wait_idle(30)
    emulator.advance(3 * DAY)
    fake_ollama.responder = cite_note_containing("Postgres")

    asked = emulator.post_message(
        channel, alice, f"<@{emulator.bot_user_id}> which database did we pick for events?"
    )
    reply = emulator.wait_for(
        lambda: [r for r in bot_replies(emulator, channel, asked) if "Sources" in r["text"]]
    )
    text = reply[0]["text"]
    permalink = f"https://acme.slack.com/archives/{channel}/p{decided.replace('.', '')}"
    assert permalink in text and "We picked Postgres" in text
    notes = fake_ollama.bodies("/api/chat")[0]["messages"][-1]["content"]
    assert "Decision: we use Postgres for the event store" in notes.split("<notes>")[1]
    assert "(message from Alice Kim)" in notes  # sources are named, dated notes


def test_a_mention_in_channel_b_cannot_surface_a_private_decision_of_channel_a(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    boss = emulator.add_user(name="boss")
    dev = emulator.add_user(name="dev")
    secret = emulator.add_channel(name="leadership", is_private=True, members=[boss])
    public = emulator.add_channel(name="general", members=[boss, dev])
    canary = emulator.post_message(secret, boss, "Canary: we will acquire Globex, codename BLUEBIRD.")
    emulator.wait_for(lambda: bot.services.store.count_messages(emulator.team_id, secret) == 1)
    store = SummaryStore(bot.services.store.engine)
    store.save_summary(
        EpisodeRecord(
            emulator.team_id, secret, "day", "2026-01-01", canary, canary, "BLUEBIRD acquisition agreed"
        ),
        [
            ItemRecord(
                emulator.team_id, secret, "decision", "Acquire Globex (BLUEBIRD)", canary, sources=(canary,)
            )
        ],
        [],
    )
    bot.services.index_worker.notify()
    assert bot.services.index_worker.wait_idle(30)
    fake_ollama.responder = cite_note_containing("BLUEBIRD")

    for probe in (
        "what did leadership decide recently?",
        "any acquisitions planned?",
        "what is the codename?",
    ):
        asked = emulator.post_message(public, dev, f"<@{emulator.bot_user_id}> {probe}")
        emulator.wait_for(
            lambda a=asked: [
                r
                for r in bot_replies(emulator, public, a)
                if "▍" not in r["text"] and "…" not in r["text"][-2:]
            ]
        )
    for body in fake_ollama.bodies("/api/chat"):
        prompt = "\n".join(m["content"] for m in body["messages"])
        assert "BLUEBIRD" not in prompt and "Globex" not in prompt
    for message in emulator.messages(public) + [
        r for m in emulator.messages(public) for r in emulator.thread(public, m["ts"])
    ]:
        assert secret not in message.get("text", "")


def test_secrets_are_redacted_before_storage_and_before_the_model(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    alice = emulator.add_user(name="alice")
    channel = emulator.add_channel(name="ops", members=[alice])
    leaked = emulator.post_message(
        channel, alice, "the db password=Hunter2!xyz and token xoxb-1234-5678-abcdefghijkl"
    )
    emulator.wait_for(lambda: bot.services.store.get_message(emulator.team_id, channel, leaked))
    stored = bot.services.store.get_message(emulator.team_id, channel, leaked)
    assert stored is not None and "Hunter2" not in stored.text and "xoxb-1234" not in stored.text
    assert "[redacted password]" in stored.text and "[redacted slack-token]" in stored.text
    fake_ollama.enqueue("Noted.")
    emulator.post_message(
        channel, alice, f"<@{emulator.bot_user_id}> what is the db password?", thread_ts=leaked
    )
    emulator.wait_for(lambda: fake_ollama.bodies("/api/chat"))
    prompt = "\n".join(m["content"] for m in fake_ollama.bodies("/api/chat")[0]["messages"])
    assert "Hunter2" not in prompt and "xoxb-1234" not in prompt and "[redacted password]" in prompt
