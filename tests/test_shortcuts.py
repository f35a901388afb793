"""Message shortcuts end to end: "Remember this" and "Summarize thread", over the emulator."""

import json
from typing import Any

import pytest

from app.listeners import SHORTCUTS
from tests.test_kiok_command_support import Harness, content, kiok_env

pytestmark = pytest.mark.e2e
__all__ = ["kiok_env"]


def shortcut(h: Harness, callback_id: str, *, user: str, channel: str, message: dict[str, Any]) -> Any:
    """Use a message shortcut on `message`, as Slack sends it; returns the ack."""
    payload = {
        "type": "message_action",
        "callback_id": callback_id,
        "user": {"id": user, "username": user.lower(), "team_id": h.team},
        "channel": {"id": channel, "name": "channel"},
        "message": message,
        "message_ts": message["ts"],
    }
    return h.emu.send_interactive(payload).wait(3.0)


def raw(h: Harness, channel: str, ts: str, thread_ts: str | None = None) -> dict[str, Any]:
    """The message as Slack puts it in the shortcut payload."""
    found = h.emu.thread(channel, thread_ts) if thread_ts else h.emu.messages(channel)
    return next(m for m in found if m["ts"] == ts)


def test_both_shortcuts_are_registered() -> None:
    assert SHORTCUTS == ("kiok_remember", "kiok_summarize_thread")


def test_remember_this_stores_the_message_as_a_fact_with_its_source(kiok_env: Harness) -> None:
    h = kiok_env
    alice = h.emu.add_user(name="s-alice", real_name="Alice Kim")
    bob = h.emu.add_user(name="s-bob", real_name="Bob Lee")
    channel = h.emu.add_channel(name="shortcut-remember", members=[alice, bob])
    ts = h.emu.post_message(channel, bob, f"The VPN config lives in <@{alice}>'s drive, folder ops/vpn")
    before = len(h.emu.ephemerals(channel, alice))
    shortcut(h, "kiok_remember", user=alice, channel=channel, message=raw(h, channel, ts))
    reply = h.replies_after(channel, alice, before)[-1]
    assert "Remembered for" in content(reply) and "@Alice Kim" in content(reply)
    facts = h.bot.services.summaries.worker.summaries.items(h.team, channel, kinds=["fact"])
    assert [(f.text, f.owner, f.sources) for f in facts] == [
        ("The VPN config lives in @Alice Kim's drive, folder ops/vpn", "Bob Lee", (ts,))
    ]
    assert "Bob Lee: The VPN config lives in" in content(h.kiok("brief", user=alice, channel=channel))

    h.wait_stored(channel, 1)  # forgetting the source message erases the fact with it
    link = f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    assert "Erased 1 messages" in content(h.kiok(f"forget {link}", user=bob, channel=channel))
    assert h.bot.services.summaries.worker.summaries.items(h.team, channel, kinds=["fact"]) == []


def test_summarize_thread_shows_a_private_summary(kiok_env: Harness) -> None:
    h = kiok_env
    alice = h.emu.add_user(name="t-alice", real_name="Alice Kim")
    bob = h.emu.add_user(name="t-bob", real_name="Bob Lee")
    channel = h.emu.add_channel(name="shortcut-summary", members=[alice, bob])
    root = h.emu.post_message(channel, alice, "Should we move the launch to Monday?")
    reply_ts = h.emu.post_message(channel, bob, "Yes, Monday. I'll tell support by Friday.", thread_ts=root)
    extraction = {
        "summary": "The team moved the launch to Monday.",
        "decisions": [{"text": "Launch on Monday", "source": [2]}],
        "action_items": [{"text": "Tell support", "owner": "Bob Lee", "due": "2026-11-27", "source": [2]}],
        "open_questions": [],
        "facts": [],
    }
    h.llm.enqueue(json.dumps(extraction))
    before = len(h.emu.ephemerals(channel, alice))
    assert (
        shortcut(
            h, "kiok_summarize_thread", user=alice, channel=channel, message=raw(h, channel, reply_ts, root)
        )
        is None
    )
    replies = h.emu.wait_for(
        lambda: [e for e in h.emu.ephemerals(channel, alice)[before:] if "Thread summary" in e["text"]], 20
    )
    shown = content(replies[-1])
    assert "The team moved the launch to Monday." in shown and "Launch on Monday" in shown
    assert "Bob Lee: Tell support (2026-11-27)" in shown
    assert f"/archives/{channel}/p{root.replace('.', '')}" in shown
    prompt = "\n".join(m["content"] for m in h.llm.bodies("/api/chat")[-1]["messages"])
    assert "Alice Kim: Should we move the launch to Monday [" in prompt  # dates annotated by code
    assert "Bob Lee: Yes, Monday" in prompt
    assert "Summarizing the thread" in h.emu.ephemerals(channel, alice)[before]["text"]
    assert not [m for m in h.emu.messages(channel) if m.get("user") == h.emu.bot_user_id]
