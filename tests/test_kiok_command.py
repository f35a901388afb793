"""`/kiok` end to end: the real Bolt app over Socket Mode against the Slack emulator, one bot per module."""

from typing import Any

import pytest

from memory.summaries import EpisodeRecord, ItemChange, ItemRecord
from tests.test_kiok_command_support import Harness, content, kiok_env

pytestmark = pytest.mark.e2e
__all__ = ["kiok_env"]  # the module-scoped fixture, imported so pytest finds it here


def people(h: Harness, channel_name: str, **extra: Any) -> tuple[str, str, str, str]:
    """(alice, bob, admin, channel): alice and bob are plain members, admin is a workspace admin."""
    alice = h.emu.add_user(name=f"alice-{channel_name}", real_name="Alice Kim", locale="en-US")
    bob = h.emu.add_user(name=f"bob-{channel_name}", real_name="Bob Lee")
    admin = h.emu.add_user(name=f"root-{channel_name}", real_name="Ada Admin", is_admin=True)
    channel = h.emu.add_channel(name=channel_name, members=[alice, bob, admin], **extra)
    return alice, bob, admin, channel


def plant_decisions(h: Harness, channel: str, first_ts: str, second_ts: str) -> None:
    """A thread summary with a decision, then a later one that reverses it (as the summarizer stores them)."""
    store = h.bot.services.summaries.worker.summaries
    first = EpisodeRecord(h.team, channel, "thread", f"{first_ts}@a", first_ts, first_ts, "Ship plan.")
    store.save_summary(first, [ItemRecord(h.team, channel, "decision", "Ship v2 on Friday", first_ts)], [])
    old = store.items(h.team, channel, kinds=["decision"])[0]
    second = EpisodeRecord(h.team, channel, "thread", f"{second_ts}@b", second_ts, second_ts, "Moved.")
    new = ItemRecord(h.team, channel, "decision", "Ship v2 on Monday instead", second_ts)
    store.save_summary(second, [new], [ItemChange(old.id, replaced_by=0)])


def test_help_unknown_and_usage_errors(kiok_env: Harness) -> None:
    h = kiok_env
    alice, _bob, _admin, channel = people(h, "help")
    shown = content(h.kiok("", user=alice, channel=channel))
    assert "Kiok commands" in shown and "/kiok ask <question> [--share]" in shown
    assert "/kiok digest now | daily HH:MM" in shown
    unknown = content(h.kiok("frobnicate now", user=alice, channel=channel))
    assert "I don't know `frobnicate`" in unknown and "/kiok recall <query>" in unknown
    cases = {
        "ask": "Usage: `/kiok ask <question> [--share]`",
        "recall   ": "Usage: `/kiok recall <query> [--share]`",
        "remember": "Usage: `/kiok remember <fact>`",
        "forget": "Usage: `/kiok forget <message link>",
        "forget https://example.com/nope": "not a Slack message link",
        "decisions last-tuesday": "YYYY-MM-DD",
        "digest weekly funday 09:00": "`funday` is not a day of the week",
        "digest daily 25:00": "`25:00` is not a time of day",
        "digest hourly": "Usage: `/kiok digest now | daily HH:MM",
        "brief please": "takes no arguments",
        "catchup everything": "takes no arguments",
        "remember " + "x" * 600: "at most 500 characters",
    }
    for text, expected in cases.items():
        assert expected in content(h.kiok(text, user=alice, channel=channel)), text


def test_ask_answers_privately_from_memory_and_shares_on_request(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, _admin, channel = people(h, "ask")
    planted = h.emu.post_message(channel, bob, "The staging database password rotates every Monday (OPS-77).")
    h.wait_stored(channel, 1)
    h.wait_indexed()
    h.llm.enqueue("It rotates every Monday [1].")
    reply = h.kiok("ask when does the staging password rotate?", user=alice, channel=channel)
    shown = content(reply)
    assert "It rotates every Monday [1]." in shown
    link = f"https://acme.slack.com/archives/{channel}/p{planted.replace('.', '')}"
    assert link in shown  # the cited note became a permalink
    prompt = "\n".join(m["content"] for m in h.llm.bodies("/api/chat")[-1]["messages"])
    assert "OPS-77" in prompt and "when does the staging password rotate?" in prompt

    h.llm.enqueue("Every Monday.")
    shared = h.kiok_shared("ask --share when does it rotate?", user=alice, channel=channel)
    assert "Every Monday." in content(shared) and f"<@{alice}> asked" in content(shared)


def test_recall_lists_hits_with_permalinks(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, _admin, channel = people(h, "recall")
    ts = h.emu.post_message(
        channel, bob, "Carol owns the billing migration, ticket PROJ-482, due next sprint."
    )
    h.emu.post_message(channel, alice, "Lunch is at noon today.")
    h.wait_stored(channel, 2)
    h.wait_indexed()
    reply = h.kiok("recall PROJ-482 billing", user=alice, channel=channel)
    shown = content(reply)
    assert "Carol owns the billing migration" in shown
    assert f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}" in shown
    assert "Bob Lee" in shown  # the author, by name
    empty = h.emu.add_channel(name="recall-empty", members=[alice])
    nothing = content(h.kiok("recall PROJ-482", user=alice, channel=empty))
    assert "Nothing in this channel's memory matches “PROJ-482”" in nothing  # scoped to the channel


def test_remember_then_brief_shows_the_fact(kiok_env: Harness) -> None:
    h = kiok_env
    alice, _bob, _admin, channel = people(h, "remember")
    assert "No brief for this channel yet" in content(h.kiok("brief", user=alice, channel=channel))
    done = content(
        h.kiok("remember The release train leaves every second Tuesday", user=alice, channel=channel)
    )
    assert "Remembered for" in done and "release train" in done
    again = content(
        h.kiok("remember the release train leaves every second Tuesday!", user=alice, channel=channel)
    )
    assert "already remember" in again
    brief = content(h.kiok("brief", user=alice, channel=channel))
    assert "Project brief" in brief and "Key facts" in brief
    assert "Alice Kim: The release train leaves every second Tuesday" in brief
    secret = content(
        h.kiok("remember the CI token is xoxb-1234567890-abcdefghij", user=alice, channel=channel)
    )
    assert "xoxb-1234567890" not in secret and "[redacted" in secret  # stored as memory stores messages
    facts = h.bot.services.summaries.worker.summaries.items(h.team, channel, kinds=["fact"])
    assert not any("xoxb-1234567890" in f.text for f in facts)


def test_forget_a_message_needs_its_author_or_an_admin(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, admin, channel = people(h, "forgetmsg")
    mine = h.emu.post_message(channel, alice, "my phone number is 010-1234-5678")
    theirs = h.emu.post_message(channel, bob, "bob's note")
    h.wait_stored(channel, 2)
    link = f"https://acme.slack.com/archives/{channel}/p{theirs.replace('.', '')}"
    refused = content(h.kiok(f"forget {link}", user=alice, channel=channel))
    assert "Only the author of that message or a workspace admin" in refused
    own = f"<https://acme.slack.com/archives/{channel}/p{mine.replace('.', '')}>"  # escaped form
    assert "Erased 1 messages" in content(h.kiok(f"forget {own}", user=alice, channel=channel))
    assert "Erased 1 messages" in content(h.kiok(f"forget {link}", user=admin, channel=channel))
    assert h.bot.services.store.count_messages(h.team, channel) == 0
    assert "nothing stored" in content(h.kiok(f"forget {link}", user=admin, channel=channel))
    # a non-admin cannot tell an erased (or never written) message from someone else's: no existence oracle
    assert content(h.kiok(f"forget {link}", user=alice, channel=channel)) == refused


def test_forget_channel_is_for_admins_and_asks_for_confirmation(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, admin, channel = people(h, "forgetchan")
    for text in ("one", "two", "three"):
        h.emu.post_message(channel, bob, f"message {text}")
    h.wait_stored(channel, 3)
    refused = content(h.kiok("forget channel", user=alice, channel=channel))
    assert "Only workspace admins can erase a channel's memory" in refused
    prompt = h.kiok("forget channel", user=admin, channel=channel)
    assert "3 messages" in content(prompt) and h.bot.services.store.count_messages(h.team, channel) == 3
    cancelled = h.click(prompt, user=admin, channel=channel, button=1)
    assert "nothing was erased" in content(cancelled)
    prompt = h.kiok("forget channel", user=admin, channel=channel)
    done = h.click(prompt, user=admin, channel=channel)
    assert "Erased Kiok's memory of" in content(done) and "3 messages" in content(done)
    assert h.bot.services.store.count_messages(h.team, channel) == 0


def test_forget_me_and_optout_optin(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, _admin, channel = people(h, "privacy")
    h.emu.post_message(channel, alice, "alice one")
    h.emu.post_message(channel, alice, "alice two")
    h.emu.post_message(channel, bob, "bob stays")
    h.wait_stored(channel, 3)
    done = h.click(h.kiok("forget me", user=alice, channel=channel), user=alice, channel=channel)
    assert "Erased 2 messages" in content(done)
    assert h.bot.services.store.count_messages(h.team, channel) == 1
    out = h.click(h.kiok("optout", user=alice, channel=channel), user=alice, channel=channel)
    assert "You are opted out" in content(out)
    assert alice in h.bot.services.memory.policies.opted_out(h.team)
    refused = content(h.kiok("remember alice likes tea", user=alice, channel=channel))
    assert "opted out" in refused
    assert "remembers your messages again" in content(h.kiok("optin", user=alice, channel=channel))
    assert alice not in h.bot.services.memory.policies.opted_out(h.team)


def test_decisions_mark_reversals_and_filter_by_date(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, _admin, channel = people(h, "decisions")
    assert "No decisions recorded" in content(h.kiok("decisions", user=alice, channel=channel))
    first = h.emu.post_message(channel, bob, "Let's ship v2 on Friday.")
    second = h.emu.post_message(channel, bob, "Change of plan: Monday.")
    h.wait_stored(channel, 2)
    plant_decisions(h, channel, first, second)
    shown = content(h.kiok("decisions", user=alice, channel=channel))
    assert "~Ship v2 on Friday~" in shown and "reversed" in shown and "Ship v2 on Monday instead" in shown
    assert f"/archives/{channel}/p{first.replace('.', '')}" in shown
    assert "Decisions since" in content(h.kiok("decisions 7d", user=alice, channel=channel))
    assert "No decisions recorded" in content(h.kiok("decisions 2999-01-01", user=alice, channel=channel))
    shared = h.kiok_shared("decisions share", user=alice, channel=channel)
    assert "Ship v2 on Monday instead" in content(shared)


def test_catchup_twice_then_after_new_decisions(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, admin, channel = people(h, "catchup")
    root = h.emu.post_message(channel, bob, "Design review for the new onboarding flow")
    h.emu.post_message(channel, admin, "I like option B", thread_ts=root)
    h.emu.post_message(channel, bob, "Agreed, B it is", thread_ts=root)
    h.emu.post_message(channel, alice, "my own message is not news to me")
    h.wait_stored(channel, 4)
    first = content(h.kiok("catchup", user=alice, channel=channel))
    assert "The last 7 days here" in first and "*3* new messages from *2* people" in first
    assert "Busiest threads" in first and "Design review for the new onboarding flow" in first
    assert f"/archives/{channel}/p{root.replace('.', '')}" in first
    second = content(h.kiok("catchup", user=alice, channel=channel))
    assert "Nothing new here since your last catch-up" in second
    plant_decisions(h, channel, root, root)
    third = content(h.kiok("catchup", user=alice, channel=channel))
    assert "New decisions" in third and "Reversed decisions" in third and "Ship v2 on Monday instead" in third


class FakeDigests:
    """A digest service speaking the protocol `/kiok digest` expects (app/commands/digest.py)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []  # (method, *arguments)

    def post_now(self, client: Any, team_id: str, channel_id: str) -> str:
        self.calls.append(("post_now", team_id, channel_id))
        return str(client.chat_postMessage(channel=channel_id, text="Digest of the week")["ts"])

    def set_schedule(self, *args: Any) -> None:
        self.calls.append(("set_schedule", *args))

    def disable(self, team_id: str, channel_id: str) -> bool:
        self.calls.append(("disable", team_id, channel_id))
        return True

    def status(self, team_id: str, channel_id: str) -> dict[str, Any]:
        return {"cadence": "weekly", "weekday": 4, "at_time": "17:30", "timezone": "Asia/Seoul"}


def test_digest_subcommands(kiok_env: Harness) -> None:
    h = kiok_env
    alice, _bob, admin, channel = people(h, "digest")
    real = h.bot.services.digests
    fake = FakeDigests()  # records what the command asks of the digest service (tested in test_digest_e2e.py)
    object.__setattr__(h.bot.services, "digests", fake)  # Services is frozen; the listener holds this object
    try:
        refused = content(h.kiok("digest daily 9:00", user=alice, channel=channel))
        assert "Only workspace admins can change digest schedules" in refused and not fake.calls
        done = content(h.kiok("digest weekly fri 17:30", user=admin, channel=channel))
        assert "every Friday at 17:30 (Asia/Seoul)" in done
        assert fake.calls[-1] == ("set_schedule", h.team, channel, "weekly", 4, "17:30", "Asia/Seoul", admin)
        assert "every Friday at 17:30" in content(h.kiok("digest status", user=alice, channel=channel))
        assert "Posted a digest" in content(h.kiok("digest now", user=alice, channel=channel, posts=1))
        assert h.emu.messages(channel)[-1]["text"] == "Digest of the week"
        assert "are off" in content(h.kiok("digest off", user=admin, channel=channel))
        assert list(fake.calls[-1]) == ["disable", h.team, channel]
    finally:
        object.__setattr__(h.bot.services, "digests", real)


def test_status_reports_memory_and_model(kiok_env: Harness) -> None:
    h = kiok_env
    alice, bob, _admin, channel = people(h, "status")
    h.emu.post_message(channel, bob, "hello")
    h.wait_stored(channel, 1)
    shown = content(h.kiok("status", user=alice, channel=channel))
    assert "What Kiok remembers here" in shown and "gemma3:4b" in shown
    reply = h.kiok("status", user=alice, channel=channel)
    fields = next(b for b in reply["blocks"] if "fields" in b)["fields"]
    assert {"type": "mrkdwn", "text": "*Messages*\n1"} in fields


def test_korean_user_gets_korean_replies(kiok_env: Harness) -> None:
    h = kiok_env
    minji = h.emu.add_user(name="minji", real_name="김민지", locale="ko-KR")
    channel = h.emu.add_channel(name="개발", members=[minji])
    assert "Kiok 명령어" in content(h.kiok("help", user=minji, channel=channel))
    assert "브리프가 아직 없어요" in content(h.kiok("brief", user=minji, channel=channel))
    assert "사용법" in content(h.kiok("ask", user=minji, channel=channel))
    assert "모르는 명령" in content(h.kiok("뭐야", user=minji, channel=channel))
    h.llm.enqueue("금요일에 배포해요.")
    answer = content(h.kiok("ask 배포는 언제 해요?", user=minji, channel=channel))
    assert "금요일에 배포해요." in answer
