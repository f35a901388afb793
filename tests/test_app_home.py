"""App Home end to end: `app_home_opened` over Socket Mode publishes the user's view; its buttons work.
A private channel's content never reaches a user who is not in it."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.blocks.home import (
    ACTION_DIGEST_DAILY,
    ACTION_DIGEST_NOW,
    ACTION_OPT_IN,
    ACTION_OPT_OUT,
    ACTION_REFRESH,
)
from app.emulator import SlackEmulator
from memory.embeddings.base import Embedder
from memory.summaries import EpisodeRecord, ItemRecord, SummaryStore
from tests.fakes.fake_ollama import FakeOllama
from tests.test_digest_e2e import Kiok, running_kiok

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]


@pytest.fixture
def kiok(
    emulator: SlackEmulator, fake_ollama: FakeOllama, embedder: Embedder, tmp_path: Path
) -> Iterator[Kiok]:
    yield from running_kiok(emulator, fake_ollama, embedder, tmp_path)


def open_home(emu: SlackEmulator, user: str) -> dict[str, Any]:
    """The user opens Kiok's Home tab; returns the view Kiok published for it."""

    def published() -> int:
        return len([c for c in emu.calls("views.publish") if c.args.get("user_id") == user])

    before = published()
    emu.deliver_event({"type": "app_home_opened", "user": user, "tab": "home"})
    emu.wait_for(lambda: published() > before)
    view = emu.views(user)
    assert view is not None
    return view


def press(emu: SlackEmulator, user: str, action_id: str, value: str = "") -> dict[str, Any]:
    """Press a Home button; returns the Home published in response."""
    view = emu.views(user)
    assert view is not None
    published = len(emu.calls("views.publish"))
    action: dict[str, Any] = {"type": "button", "action_id": action_id, "block_id": "b", "action_ts": "1.0"}
    if value:
        action["value"] = value
    emu.send_interactive(
        {
            "type": "block_actions",
            "user": {"id": user},
            "container": {"type": "view", "view_id": view["id"]},
            "view": view,
            "actions": [action],
        }
    )
    emu.wait_for(lambda: len(emu.calls("views.publish")) > published)
    view = emu.views(user)
    assert view is not None
    return view


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def workspace(kiok: Kiok) -> tuple[str, str, str, str, str]:
    emu = kiok.emu
    alice = emu.add_user(name="alice", locale="en-US", tz="Europe/Berlin", is_admin=True)
    bob = emu.add_user(name="bob", locale="ko-KR")
    release = emu.add_channel("release", members=[alice, bob])
    secret = emu.add_channel("leadership", is_private=True, members=[bob])
    random = emu.add_channel("random", members=[bob])
    kickoff = emu.post_message(release, alice, "We ship v2.3 on Friday.")
    emu.post_message(secret, bob, "Confidential: the reorg happens in March.")
    emu.post_message(random, bob, "lunch?")
    for channel in (release, secret, random):
        kiok.wait_stored(channel, 1)
    summaries = SummaryStore(kiok.bot.services.store.engine)
    for channel, text, ts in ((release, "Ship v2.3 on Friday", kickoff), (secret, "Reorg in March", "")):
        ts = ts or kiok.emu.messages(channel)[0]["ts"]
        episode = EpisodeRecord(kiok.team, channel, "day", "d1", ts, ts, "s")
        summaries.save_summary(episode, [ItemRecord(kiok.team, channel, "decision", text, ts)], [])
    return alice, bob, release, secret, random


def test_home_shows_a_members_channels_and_never_a_private_channel_they_are_not_in(kiok: Kiok) -> None:
    emu = kiok.emu
    alice, bob, release, secret, random = workspace(kiok)
    kiok.digests.set_schedule(kiok.team, release, "weekly", 4, "17:00", "Asia/Seoul", alice)

    home = text_of(open_home(emu, alice))
    assert f"<#{release}>" in home and "Weekly digest on Friday at 17:00 (Asia/Seoul)" in home
    assert "Ship v2.3 on Friday" in home and "Kiok remembers your messages" in home
    assert secret not in home and "Reorg" not in home and random not in home
    checked = {c.args.get("channel") for c in emu.calls("conversations.members")}
    assert {release, secret, random} <= checked  # membership asked of Slack, not guessed

    korean = text_of(open_home(emu, bob))  # bob is in all three, and reads Korean
    assert "팀의 기억" in korean and secret in korean and "Reorg in March" in korean and random in korean
    assert "매주 금요일 17:00 (Asia/Seoul)에 요약" in korean


def test_home_buttons_post_a_digest_schedule_one_and_opt_out_and_in(kiok: Kiok) -> None:
    emu = kiok.emu
    alice, bob, release, secret, _random = workspace(kiok)
    open_home(emu, alice)

    home = text_of(press(emu, alice, ACTION_DIGEST_NOW, release))
    digests = [m for m in emu.messages(release) if m.get("user") == emu.bot_user_id]
    assert len(digests) == 1 and "Ship v2.3 on Friday" in json.dumps(digests[0]["blocks"])
    assert f"Digest posted in <#{release}>." in home

    home = text_of(press(emu, alice, ACTION_DIGEST_NOW, secret))  # a forged value for a channel she is not in
    assert "not a member of that channel" in home and secret not in home.replace("not a member", "")
    assert [m for m in emu.messages(secret) if m.get("user") == emu.bot_user_id] == []

    assert ACTION_DIGEST_DAILY not in text_of(open_home(emu, bob))  # bob is no admin: no schedule buttons
    assert "관리자만" in text_of(press(emu, bob, ACTION_DIGEST_DAILY, release))  # a forged press is refused
    assert kiok.digests.store.get_schedule(kiok.team, release) is None

    home = text_of(press(emu, alice, ACTION_DIGEST_DAILY, release))
    assert "daily digest at 09:00 (Europe/Berlin)" in home and "Daily digest at 09:00 (Europe/Berlin)" in home
    schedule = kiok.digests.store.get_schedule(kiok.team, release)
    assert schedule is not None and (schedule.cadence, schedule.timezone, schedule.created_by) == (
        "daily",
        "Europe/Berlin",
        alice,
    )

    home = text_of(press(emu, alice, ACTION_OPT_OUT))
    assert "You opted out" in home and ACTION_OPT_IN in home
    assert kiok.bot.services.store.count_messages(kiok.team, release) == 0  # her one message there is erased
    home = text_of(press(emu, alice, ACTION_OPT_IN))
    assert "Kiok will remember your messages again" in home and ACTION_OPT_OUT in home
    assert "Kiok remembers your messages" in text_of(press(emu, alice, ACTION_REFRESH))
