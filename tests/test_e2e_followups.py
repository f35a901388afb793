"""Direct messages are answered; thread follow-ups are answered without a mention only where enabled."""

from collections.abc import Callable

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from memory.journal import PENDING, DeliveryJournal
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]


def replies(emu: SlackEmulator, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in emu.thread(channel, ts) if m.get("user") == emu.bot_user_id]


def test_a_direct_message_is_answered(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot()
    alice = emulator.add_user(name="alice")
    dm = emulator.add_channel(name="dm-alice", is_im=True, members=[alice])
    fake_ollama.enqueue("Hello Alice, here is your answer.")
    asked = emulator.post_message(dm, alice, "what can you do?")
    emulator.wait_for(lambda: "Hello Alice, here is your answer." in replies(emulator, dm, asked))


def test_a_direct_message_that_names_the_bot_is_answered_once(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    alice = emulator.add_user(name="alice")
    dm = emulator.add_channel(name="dm-alice", is_im=True, members=[alice])
    fake_ollama.enqueue("Named and answered.")
    # Slack sends no app_mention in a DM, even when the bot is named
    asked = emulator.post_message(dm, alice, f"<@{emulator.bot_user_id}> what did we decide?")
    emulator.wait_for(lambda: "Named and answered." in replies(emulator, dm, asked))
    inbox = DeliveryJournal(bot.services.store.engine)
    emulator.wait_for(lambda: inbox.event_counts().get(PENDING, 0) == 0)
    assert len(replies(emulator, dm, asked)) == 1 and len(fake_ollama.bodies("/api/chat")) == 1


def test_follow_ups_are_answered_only_where_the_channel_enables_them(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    alice = emulator.add_user(name="alice")
    channel = emulator.add_channel(name="release", members=[alice])
    fake_ollama.enqueue("First answer.", "Follow-up answer.")
    root = emulator.post_message(channel, alice, f"<@{emulator.bot_user_id}> when do we ship?")
    emulator.wait_for(lambda: "First answer." in replies(emulator, channel, root))

    docs = emulator.post_message(channel, alice, "and what about the docs?", thread_ts=root)  # policy off
    emulator.wait_for(lambda: bot.services.store.get_message(emulator.team_id, channel, docs))
    # stored on receipt, before its listener ran: wait until the listener is through (no event pending)
    inbox = DeliveryJournal(bot.services.store.engine)
    emulator.wait_for(lambda: inbox.event_counts().get(PENDING, 0) == 0)
    assert len(fake_ollama.bodies("/api/chat")) == 1

    bot.services.memory.policies.update(emulator.team_id, channel, followups=True)
    emulator.post_message(channel, alice, "and the changelog?", thread_ts=root)
    emulator.wait_for(lambda: "Follow-up answer." in replies(emulator, channel, root))
    other = emulator.post_message(channel, alice, "unrelated thread starter")
    last = emulator.post_message(channel, alice, "a reply where Kiok never answered", thread_ts=other)
    emulator.wait_for(lambda: bot.services.store.get_message(emulator.team_id, channel, last))
    assert len(fake_ollama.bodies("/api/chat")) == 2 and replies(emulator, channel, other) == []
