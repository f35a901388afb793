"""Backfill from the Slack emulator: pagination, threads, 429s, a crash midway and the resume."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from slack_sdk.errors import SlackApiError

from app.backfill import backfill_channel
from app.bolt_app import make_web_client
from app.bootstrap import Bot
from app.emulator import SlackEmulator
from app.settings import Settings
from memory.service import MemoryService
from memory.sync_state import SyncStore

pytest_plugins = ["tests.e2e"]


def fill(emu: SlackEmulator, channel: str, user: str, n: int) -> list[str]:
    roots = []
    for i in range(n):
        ts = emu.post_message(channel, user, f"history message {i} about topic {i % 7}", deliver=False)
        if i % 10 == 0:
            roots.append(ts)
            for j in range(3):
                emu.post_message(channel, user, f"reply {j} to message {i}", thread_ts=ts, deliver=False)
    return roots


@pytest.fixture
def client_for(emulator: SlackEmulator):  # type: ignore[no-untyped-def]
    settings = Settings(
        _env_file=None,
        slack={
            "bot_token": emulator.bot_token,
            "api_url": emulator.api_url,  # type: ignore[call-arg]
            "rate_limit_retries": 3,
        },
    )
    return make_web_client(settings)


def test_backfill_reads_history_and_threads_and_is_idempotent(
    emulator: SlackEmulator, memory: MemoryService, client_for
) -> None:  # type: ignore[no-untyped-def]
    user = emulator.add_user(name="minsu")
    channel = emulator.add_channel(name="history", members=[user])
    fill(emulator, channel, user, 450)  # 450 top-level + 45 threads x 3 replies: several pages each
    emulator.faults.rate_limit("conversations.history", times=2, retry_after=0)
    emulator.faults.rate_limit("conversations.replies", times=1, retry_after=0)
    sync = SyncStore(memory.store.engine)
    result = backfill_channel(client_for, memory, sync, team_id=emulator.team_id, channel=channel, days=None)
    assert memory.store.count_messages(emulator.team_id, channel) == 450 + 135
    assert result.threads == 45
    history_calls = emulator.calls("conversations.history")
    assert sum(1 for c in history_calls if c.status == 429) == 2
    again = backfill_channel(client_for, memory, sync, team_id=emulator.team_id, channel=channel, days=None)
    assert again.resumed is False and memory.store.count_messages(emulator.team_id, channel) == 585


def test_backfill_resumes_from_the_saved_cursor_after_a_crash(
    emulator: SlackEmulator, memory: MemoryService, client_for
) -> None:  # type: ignore[no-untyped-def]
    user = emulator.add_user(name="minsu")
    channel = emulator.add_channel(name="history", members=[user])
    fill(emulator, channel, user, 450)
    sync = SyncStore(memory.store.engine)
    emulator.faults.fail("conversations.history", error="internal_error", times=1)
    calls_before = len(emulator.calls("conversations.history"))
    pages_done = 0

    def crash_after_two_pages(_n: int) -> None:
        nonlocal pages_done
        pages_done += 1
        if pages_done == 2:
            raise KeyboardInterrupt  # the process dies midway

    with pytest.raises(SlackApiError):  # the injected failure on the very first page
        backfill_channel(client_for, memory, sync, team_id=emulator.team_id, channel=channel, days=None)
    with pytest.raises(KeyboardInterrupt):
        backfill_channel(
            client_for,
            memory,
            sync,
            team_id=emulator.team_id,
            channel=channel,
            days=None,
            progress=crash_after_two_pages,
        )
    stored_at_crash = memory.store.count_messages(emulator.team_id, channel)
    assert 0 < stored_at_crash < 585
    first_pages = len(emulator.calls("conversations.history")) - calls_before
    resumed = backfill_channel(client_for, memory, sync, team_id=emulator.team_id, channel=channel, days=None)
    assert resumed.resumed is True
    assert memory.store.count_messages(emulator.team_id, channel) == 585
    cursors = [
        c.args.get("cursor") for c in emulator.calls("conversations.history")[calls_before + first_pages :]
    ]
    assert cursors[0], "the resumed run must start from the saved cursor, not the first page"


def test_days_limits_how_far_back(emulator: SlackEmulator, memory: MemoryService, client_for) -> None:  # type: ignore[no-untyped-def]
    user = emulator.add_user(name="minsu")
    channel = emulator.add_channel(name="history", members=[user])
    emulator.post_message(channel, user, "ancient history", deliver=False)
    emulator.advance(10 * 86400)
    emulator.post_message(channel, user, "fresh news", deliver=False)
    now = datetime.fromtimestamp(emulator.clock.now(), UTC)
    backfill_channel(
        client_for,
        memory,
        SyncStore(memory.store.engine),
        team_id=emulator.team_id,
        channel=channel,
        days=5,
        now=now,
    )
    assert memory.store.count_messages(emulator.team_id, channel) == 1


def test_bot_joining_a_channel_backfills_it(emulator: SlackEmulator, start_bot: Callable[..., Bot]) -> None:
    bot = start_bot()
    user = emulator.add_user(name="minsu")
    channel = emulator.add_channel(name="later", members=[user], bot_member=False)
    for i in range(5):
        emulator.post_message(channel, user, f"before the bot came {i}")
    emulator.join(channel)  # the bot joins: member_joined_channel
    emulator.wait_for(lambda: bot.services.store.count_messages(emulator.team_id, channel) == 5)
    time.sleep(0.2)
    assert bot.services.store.count_messages(emulator.team_id, channel) == 5
