"""Access: who may use admin-level commands (the `slack.admin_users` allow-list, else Slack's workspace
admins and owners), and the per-user answer rate limit (`slack.user_rate_limit_per_minute`). Allowed and
denied paths run over the real Bolt app and the emulator, with the refusals checked in English and Korean.
"""

import json
import threading
from collections.abc import Iterator

import pytest
from pydantic import ValidationError
from slack_sdk import WebClient

from app.access import AdminPolicy
from app.blocks.home import ACTION_DIGEST_DAILY, ACTION_DIGEST_OFF
from app.bootstrap import Bot
from app.emulator import SlackEmulator
from app.rate_limit import UserRateLimit
from app.settings import Settings
from memory.embeddings.base import Embedder
from tests.conftest import PROXY_VARS
from tests.fakes.fake_ollama import FakeOllama
from tests.test_kiok_command_support import Harness, content, settings_for

pytest_plugins = ["tests.e2e"]
LIMIT = 2  # answers per user per minute in the end-to-end bot


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_counts_a_sliding_minute_per_user() -> None:
    clock = Clock()
    limit = UserRateLimit(2, clock=clock)
    assert [limit.acquire("T", "U1") for _ in range(3)] == [0, 0, 60]
    assert limit.acquire("T", "U2") == 0 and limit.acquire("T2", "U1") == 0  # per team and user
    clock.now += 59.5
    assert limit.acquire("T", "U1") == 1  # still inside the minute: wait the rest, rounded up
    clock.now += 0.5
    assert limit.acquire("T", "U1") == 0 and limit.acquire("T", "U1") == 0 and limit.acquire("T", "U1") > 0
    off = UserRateLimit(0, clock=clock)
    assert all(off.acquire("T", "U1") == 0 for _ in range(1000))
    with pytest.raises(ValueError):
        UserRateLimit(-1)


def test_rate_limit_grants_exactly_the_limit_under_concurrency() -> None:
    limit = UserRateLimit(50)
    granted: list[int] = []

    def ask() -> None:
        for _ in range(100):
            if limit.acquire("T", "U1") == 0:
                granted.append(1)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 50


def test_admin_users_setting_takes_ids_and_says_how_to_fix_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOK_SLACK__ADMIN_USERS", '["U012AB3CD", " W0ENTERPRISE "]')
    monkeypatch.setenv("KIOK_SLACK__USER_RATE_LIMIT_PER_MINUTE", "6")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.slack.admin_users == ["U012AB3CD", "W0ENTERPRISE"]
    assert settings.slack.user_rate_limit_per_minute == 6
    monkeypatch.setenv("KIOK_SLACK__ADMIN_USERS", '["alice"]')
    with pytest.raises(ValidationError, match=r"not Slack user ids.*Copy member ID"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("KIOK_SLACK__ADMIN_USERS", "[]")
    monkeypatch.setenv("KIOK_SLACK__USER_RATE_LIMIT_PER_MINUTE", "-1")
    with pytest.raises(ValidationError, match="user_rate_limit_per_minute"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.e2e
def test_without_a_list_slack_roles_decide(emulator: SlackEmulator) -> None:
    client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
    admin = emulator.add_user(name="ada", is_admin=True)
    member = emulator.add_user(name="bo")
    slack = AdminPolicy()
    assert slack.is_admin(client, admin) and not slack.is_admin(client, member)
    assert not slack.is_admin(client, "U0NOBODY") and not slack.is_admin(client, "")  # unknown: no rights
    listed = AdminPolicy(admin_users=[member])
    assert listed.is_admin(client, member) and not listed.is_admin(client, admin)
    assert slack.who("ko") == "워크스페이스 관리자" and "listed in Kiok's settings" in listed.who("en")


# --- end to end: one bot with an allow-list and a rate limit -------------------------------------------


class People:
    def __init__(self, h: Harness, listed: str) -> None:
        emu = h.emu
        self.listed = listed  # on the allow-list, not a Slack admin
        self.slack_admin = emu.add_user(name="ada", real_name="Ada Admin", is_admin=True)  # not listed
        self.member = emu.add_user(name="bo", real_name="Bo Kim", locale="ko-KR")
        self.channel = emu.add_channel(name="access", members=[listed, self.slack_admin, self.member])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[tuple[Harness, People]]:
    with pytest.MonkeyPatch.context() as patch:
        for var in PROXY_VARS:
            patch.delenv(var, raising=False)
        emu = SlackEmulator(team_id="T0ACC", team_name="acme", bot_name="kiok").start()
        listed = emu.add_user(name="lee", real_name="Lee Lead")
        llm = FakeOllama().start()
        settings = settings_for(emu, llm.url, tmp_path_factory.mktemp("access"))
        slack = settings.slack.model_copy(
            update={"admin_users": [listed], "user_rate_limit_per_minute": LIMIT}
        )
        bot = Bot(settings.model_copy(update={"slack": slack}), embedder=embedder)
        try:
            bot.start()
            emu.wait_connected()
            h = Harness(emu, llm, bot)
            yield h, People(h, listed)
        finally:
            bot.stop()
            llm.stop()
            emu.stop()


@pytest.mark.e2e
def test_forget_channel_and_digest_schedules_follow_the_allow_list(env: tuple[Harness, People]) -> None:
    h, p = env
    for text in ("one", "two"):
        h.emu.post_message(p.channel, p.member, text)
    h.wait_stored(p.channel, 2)
    refused = content(h.kiok("forget channel", user=p.slack_admin, channel=p.channel))
    assert "Only Kiok admins (the people listed in Kiok's settings) can erase a channel's memory." in refused
    korean = content(h.kiok("forget channel", user=p.member, channel=p.channel))
    assert "채널의 기억은 Kiok 관리자(Kiok 설정에 등록된 사람)만 지울 수 있어요." in korean
    assert "Only Kiok admins" in content(h.kiok("digest daily 9:00", user=p.slack_admin, channel=p.channel))
    assert "정기 요약 일정은 Kiok 관리자" in content(h.kiok("digest off", user=p.member, channel=p.channel))
    assert h.bot.services.digests.store.get_schedule(h.team, p.channel) is None
    assert h.bot.services.store.count_messages(h.team, p.channel) == 2

    done = content(h.kiok("digest daily 9:00", user=p.listed, channel=p.channel))
    assert "A digest of this channel every day at 09:00" in done
    assert h.bot.services.digests.store.get_schedule(h.team, p.channel) is not None
    prompt = h.kiok("forget channel", user=p.listed, channel=p.channel)
    assert "2 messages" in content(prompt)
    erased = h.click(prompt, user=p.listed, channel=p.channel)
    assert (
        "Erased Kiok's memory" in content(erased)
        and h.bot.services.store.count_messages(h.team, p.channel) == 0
    )


@pytest.mark.e2e
def test_forget_someone_elses_message_needs_a_listed_admin(env: tuple[Harness, People]) -> None:
    h, p = env
    ts = h.emu.post_message(p.channel, p.member, "a note by Bo")
    h.wait_stored(p.channel, 1)
    link = f"https://acme.slack.com/archives/{p.channel}/p{ts.replace('.', '')}"
    refused = content(h.kiok(f"forget {link}", user=p.slack_admin, channel=p.channel))
    assert (
        "Only the author of that message or a Kiok admin (listed in Kiok's settings) can erase it." in refused
    )
    assert h.bot.services.store.get_message(h.team, p.channel, ts) is not None
    assert "Erased 1 messages" in content(h.kiok(f"forget {link}", user=p.listed, channel=p.channel))


@pytest.mark.e2e
def test_app_home_schedule_buttons_follow_the_allow_list(env: tuple[Harness, People]) -> None:
    h, p = env
    emu = h.emu
    emu.post_message(p.channel, p.member, "something to remember")
    h.wait_stored(p.channel, 1)

    def home(user: str, action: str = "") -> str:
        published = len(emu.calls("views.publish"))
        if action:
            view = emu.views(user)
            assert view is not None
            button = {
                "type": "button",
                "action_id": action,
                "block_id": "b",
                "action_ts": "1.0",
                "value": p.channel,
            }
            emu.send_interactive(
                {"type": "block_actions", "user": {"id": user}, "view": view, "actions": [button],
                 "container": {"type": "view", "view_id": view["id"]}}
            )  # fmt: skip
        else:
            emu.deliver_event({"type": "app_home_opened", "user": user, "tab": "home"})
        emu.wait_for(lambda: len(emu.calls("views.publish")) > published)
        return json.dumps((emu.views(user) or {})["blocks"], ensure_ascii=False)

    schedule_buttons = (ACTION_DIGEST_DAILY, ACTION_DIGEST_OFF)
    assert any(b in home(p.listed) for b in schedule_buttons)
    shown = home(p.slack_admin)
    assert not any(b in shown for b in schedule_buttons)  # a Slack admin, but not on Kiok's list
    forged = home(p.slack_admin, ACTION_DIGEST_DAILY)
    assert "Only Kiok admins (the people listed in Kiok's settings) can change digest schedules." in forged
    home(p.member)
    assert "요약 일정은 Kiok 관리자(Kiok 설정에 등록된 사람)만 바꿀 수 있어요." in home(
        p.member, ACTION_DIGEST_DAILY
    )


@pytest.mark.e2e
def test_answers_over_the_rate_limit_get_a_friendly_private_note(env: tuple[Harness, People]) -> None:
    h, p = env
    emu = h.emu
    asker = emu.add_user(name="eager", real_name="Eager Eve")
    emu.join(p.channel, asker)
    asked_before = len(h.llm.bodies("/api/chat"))
    answered = []
    for n in range(LIMIT):
        h.llm.enqueue(f"Answer {n}.")
        ts = emu.post_message(p.channel, asker, f"<@{emu.bot_user_id}> question {n}?")
        answered.append(ts)
        emu.wait_for(lambda t=ts, n=n: any(f"Answer {n}." in m["text"] for m in emu.thread(p.channel, t)[1:]))
    notes_before = len(emu.ephemerals(p.channel, asker))
    over = emu.post_message(p.channel, asker, f"<@{emu.bot_user_id}> one more?")
    note = emu.wait_for(lambda: emu.ephemerals(p.channel, asker)[notes_before:])[-1]
    assert (
        "You've asked me a lot in the last minute" in note["text"] and "Please ask again in" in note["text"]
    )
    assert note.get("thread_ts") in (over, None)
    assert len(emu.thread(p.channel, over)) == 1  # no reply, no "working…" placeholder in the channel
    assert len(h.llm.bodies("/api/chat")) == asked_before + LIMIT  # the model was not asked
    refused = content(h.kiok("ask and this?", user=asker, channel=p.channel))  # one budget with /kiok ask
    assert "You've asked me a lot in the last minute" in refused

    dm = emu.open_dm(p.member)  # someone else is not affected, and is told in Korean once over the limit
    for n in range(LIMIT):
        h.llm.enqueue(f"답 {n}.")
        ts = emu.post_message(dm, p.member, f"질문 {n}?")
        emu.wait_for(lambda t=ts, n=n: any(f"답 {n}." in m["text"] for m in emu.thread(dm, t)[1:]))
    before = len(emu.ephemerals(dm, p.member))
    emu.post_message(dm, p.member, "질문 하나 더 있어요?")
    note = emu.wait_for(lambda: emu.ephemerals(dm, p.member)[before:])[-1]
    assert "최근 1분 동안 질문이 많았어요" in note["text"]
