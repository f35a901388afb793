"""Slack answering 429 with `Retry-After` on every Web API method for a while: the real bot over the
emulator loses no post, duplicates none, and waits out each `Retry-After` instead of retrying in a loop."""

import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]

RETRY_AFTER = 1
STORM_SECONDS = 3.0  # shorter than KIOK_SLACK__RATE_LIMIT_RETRIES (5) x Retry-After: nothing may be lost


def test_a_rate_limit_storm_on_every_method_loses_and_duplicates_nothing_and_never_spins(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot()
    alice = emulator.add_user(name="alice", real_name="Alice Kim")
    channels = [emulator.add_channel(name=f"team-{n}", members=[alice]) for n in range(3)]
    for n in range(3):
        fake_ollama.enqueue(f"Answer number {n} is ready.")
    before = len(emulator.calls())

    emulator.faults.rate_limit("*", times=1_000_000, retry_after=RETRY_AFTER)
    storm = time.time()
    asked = [
        emulator.post_message(c, alice, f"<@{emulator.bot_user_id}> question {n}?")
        for n, c in enumerate(channels)
    ]
    time.sleep(STORM_SECONDS)
    emulator.faults.clear()

    def final(channel: str, ts: str) -> list[dict]:  # type: ignore[type-arg]
        replies = [m for m in emulator.thread(channel, ts) if m.get("user") == emulator.bot_user_id]
        return [m for m in replies if "Answer number" in m["text"] and "▍" not in m["text"]]

    for channel, ts in zip(channels, asked, strict=True):
        emulator.wait_for(lambda c=channel, t=ts: final(c, t), timeout=40)
    for channel, ts in zip(channels, asked, strict=True):  # exactly one reply each: nothing doubled
        replies = [m for m in emulator.thread(channel, ts) if m.get("user") == emulator.bot_user_id]
        assert len(replies) == 1, replies
    assert len(fake_ollama.bodies("/api/chat")) == 3

    calls = emulator.calls()[before:]
    limited = [c for c in calls if c.status == 429]
    tries: dict[tuple[str, str], list[float]] = defaultdict(list)
    for call in calls:
        tries[(call.method, json.dumps(call.args, sort_keys=True, default=str))].append(call.time)
    gaps = [
        later - earlier
        for times in tries.values()
        for earlier, later in itertools.pairwise(times)
        if earlier < storm + STORM_SECONDS
    ]
    most = max(len(times) for times in tries.values())
    print(
        f"RELIABILITY slack_429: storm_s={STORM_SECONDS}, calls={len(calls)}, answered_429={len(limited)}, "
        f"max_tries_of_one_call={most}, min_gap_between_tries_s={min(gaps):.2f}, lost=0, duplicated=0"
    )
    assert limited, "the storm never hit the bot"
    assert min(gaps) >= RETRY_AFTER - 0.05  # every retry waited for Retry-After
    assert most <= 1 + 5  # KIOK_SLACK__RATE_LIMIT_RETRIES
    assert len(limited) <= 3 * len(tries)  # about one 429 per call per Retry-After, not a loop
