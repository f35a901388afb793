"""The foundation's promise, end to end: a thread mention is answered once, in the thread, from the thread."""

import itertools
from collections.abc import Callable

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from memory.db import create_db_engine
from memory.store import MessageStore
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]

WORKING = "Reading the thread"


def seed(emu: SlackEmulator) -> tuple[str, str, str, str]:
    alice = emu.add_user(name="alice", real_name="Alice Kim")
    bob = emu.add_user(name="bob", real_name="Bob Lee")
    channel = emu.add_channel(name="release", members=[alice, bob])
    return alice, bob, channel, emu.bot_user_id


def bot_replies(emu: SlackEmulator, channel: str, thread_ts: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in emu.thread(channel, thread_ts) if m.get("user") == emu.bot_user_id]


def post_thread(emu: SlackEmulator, channel: str, alice: str, bob: str) -> str:
    root = emu.post_message(channel, alice, "Release planning: we ship v2.3 on Friday after the QA pass.")
    emu.post_message(channel, bob, "QA found the login bug PROJ-482, Carol is fixing it.", thread_ts=root)
    emu.post_message(
        channel, alice, "If PROJ-482 is not fixed by Thursday we move the release to Monday.", thread_ts=root
    )
    return root


@pytest.mark.parametrize("deliveries", [1, 3])
def test_thread_mention_gets_exactly_one_answer_built_from_the_thread(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot], deliveries: int
) -> None:
    bot = start_bot()
    alice, bob, channel, bot_id = seed(emulator)
    root = post_thread(emulator, channel, alice, bob)
    fake_ollama.enqueue("The release is Friday, or Monday if PROJ-482 is still open on Thursday.")

    mention = {
        "type": "app_mention",
        "channel": channel,
        "user": alice,
        "thread_ts": root,
        "text": f"<@{bot_id}> when do we ship?",
    }
    ts = emulator.post_message(channel, alice, mention["text"], thread_ts=root, deliver=False)
    emulator.deliver_event({**mention, "ts": ts, "event_ts": ts}, times=deliveries)

    final = emulator.wait_for(
        lambda: [r for r in bot_replies(emulator, channel, root) if "PROJ-482 is still open" in r["text"]]
    )
    emulator.wait_for(
        lambda: len(emulator.acks()) >= deliveries
    )  # every delivery, retries included, is acked
    replies = bot_replies(emulator, channel, root)
    assert len(replies) == 1, replies
    assert final[0]["ts"] == replies[0]["ts"]
    posted = [c for c in emulator.calls("chat.postMessage") if c.args.get("channel") == channel]
    assert len(posted) == 1 and WORKING in posted[0].args["text"]  # the placeholder...
    assert emulator.calls("chat.update")[-1].args["ts"] == replies[0]["ts"]  # ...was replaced in place

    chats = fake_ollama.bodies("/api/chat")
    assert len(chats) == 1
    prompt = "\n".join(m["content"] for m in chats[0]["messages"])
    for earlier in ("ship v2.3 on Friday", "login bug PROJ-482", "move the release to Monday"):
        assert earlier in prompt
    assert "Alice Kim" in prompt and "Bob Lee" in prompt  # names resolved, not <@U…> ids
    assert "when do we ship?" in prompt and f"<@{bot_id}>" not in prompt

    store = MessageStore(bot.services.store.engine)
    assert [m.text for m in store.thread(emulator.team_id, channel, root)][:3] == [
        "Release planning: we ship v2.3 on Friday after the QA pass.",
        "QA found the login bug PROJ-482, Carol is fixing it.",
        "If PROJ-482 is not fixed by Thursday we move the release to Monday.",
    ]


def test_human_messages_are_stored_as_they_arrive_with_edits_and_deletions(
    emulator: SlackEmulator, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    alice, _bob, channel, _ = seed(emulator)
    keep = emulator.post_message(channel, alice, "draft plan")
    gone = emulator.post_message(channel, alice, "my password is hunter2")
    store = bot.services.store
    emulator.wait_for(lambda: store.count_messages(emulator.team_id, channel) == 2)
    emulator.edit_message(channel, keep, "final plan")
    emulator.delete_message(channel, gone)
    emulator.wait_for(
        lambda: (m := store.get_message(emulator.team_id, channel, keep)) and m.text == "final plan"
    )
    emulator.wait_for(lambda: (m := store.get_message(emulator.team_id, channel, gone)) and m.deleted)
    deleted = store.get_message(emulator.team_id, channel, gone)
    assert deleted is not None and deleted.text == ""


def test_korean_question_gets_korean_placeholder_and_prompt(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot()
    alice, _bob, channel, bot_id = seed(emulator)
    fake_ollama.enqueue("금요일에 배포합니다.")
    ts = emulator.post_message(channel, alice, f"<@{bot_id}> 배포 언제 해요?")
    emulator.wait_for(lambda: any("금요일에 배포" in r["text"] for r in bot_replies(emulator, channel, ts)))
    assert "스레드를 읽는 중" in emulator.calls("chat.postMessage")[0].args["text"]
    system = fake_ollama.bodies("/api/chat")[0]["messages"][0]["content"]
    assert "Answer in Korean" in system


def test_llm_down_turns_the_placeholder_into_a_clear_error(
    emulator: SlackEmulator, start_bot: Callable[..., Bot]
) -> None:
    start_bot(llm_url="http://127.0.0.1:9")  # nothing listens on the discard port
    alice, _bob, channel, bot_id = seed(emulator)
    ts = emulator.post_message(channel, alice, f"<@{bot_id}> are you there?")
    reply = emulator.wait_for(
        lambda: [
            r for r in bot_replies(emulator, channel, ts) if "couldn't reach the language model" in r["text"]
        ]
    )
    assert "ollama serve" in reply[0]["text"] and "127.0.0.1:9" in reply[0]["text"]
    assert len(bot_replies(emulator, channel, ts)) == 1


def test_llm_stalling_mid_answer_keeps_the_partial_text_and_says_why(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot(idle_timeout=1)
    alice, _bob, channel, bot_id = seed(emulator)
    fake_ollama.enqueue("The first part of the answer is here and then")
    fake_ollama.stall_after(4, 5)
    ts = emulator.post_message(channel, alice, f"<@{bot_id}> explain the plan")
    reply = emulator.wait_for(
        lambda: [r for r in bot_replies(emulator, channel, ts) if "stopped responding" in r["text"]]
    )
    assert reply[0]["text"].startswith("The first part")


def test_long_answer_streams_in_throttled_edits_and_splits_at_slack_limits(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot()
    alice, _bob, channel, bot_id = seed(emulator)
    paragraph = "This is a long paragraph about the release plan and its many risks. " * 12
    fake_ollama.enqueue("\n\n".join([paragraph] * 8))  # ~6,500 characters
    fake_ollama.token_delay(0.002)
    ts = emulator.post_message(channel, alice, f"<@{bot_id}> write it all down")
    emulator.wait_for(lambda: len(bot_replies(emulator, channel, ts)) == 2, timeout=20)
    emulator.wait_for(lambda: not any("▍" in r["text"] for r in bot_replies(emulator, channel, ts)))
    replies = bot_replies(emulator, channel, ts)
    assert all(len(r["text"]) <= 4000 for r in replies)
    assert sum(len(r["text"]) for r in replies) > 6000
    updates = emulator.calls("chat.update")
    times = [c.time for c in updates]
    gaps = [b - a for a, b in itertools.pairwise(times)][:-1]  # the final edit is not throttled
    assert len(updates) >= 2 and all(g >= 0.15 for g in gaps[1:]), gaps


def test_the_bot_ignores_its_own_messages(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot()
    alice, _bob, channel, bot_id = seed(emulator)
    fake_ollama.enqueue(f"I was mentioned: <@{bot_id}> should not trigger me again")
    ts = emulator.post_message(channel, alice, f"<@{bot_id}> say my name")
    emulator.wait_for(
        lambda: any("should not trigger" in r["text"] for r in bot_replies(emulator, channel, ts))
    )
    assert len(fake_ollama.bodies("/api/chat")) == 1
    # model output is escaped, so it cannot ping anyone
    assert f"&lt;@{bot_id}&gt;" in bot_replies(emulator, channel, ts)[0]["text"]


def test_store_survives_restart(tmp_path, emulator: SlackEmulator, start_bot: Callable[..., Bot]) -> None:  # type: ignore[no-untyped-def]
    bot = start_bot()
    alice, _bob, channel, _ = seed(emulator)
    emulator.post_message(channel, alice, "remember me")
    emulator.wait_for(lambda: bot.services.store.count_messages() == 1)
    bot.stop()
    reopened = MessageStore(create_db_engine(f"sqlite:///{tmp_path / 'kiok.db'}"))
    assert reopened.count_messages() == 1
