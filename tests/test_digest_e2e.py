"""Digests end to end: the real Bot (Bolt over Socket Mode) on the Slack emulator, real SQL, the real
APScheduler with its SQL job store. One digest per channel and period is posted, whatever fires it."""

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, make_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from slack_sdk import WebClient

from app.bootstrap import Bot
from app.digests import DigestFailed, DigestService, build_digests, digests_of, jobs, periods
from app.emulator import SlackEmulator
from app.listeners import actions
from app.listeners.events import app_home
from app.services import Services
from memory.db import create_db_engine
from memory.embeddings.base import Embedder
from memory.summaries import EpisodeRecord, ItemChange, ItemRecord, SummaryStore
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]


@dataclass
class Kiok:
    bot: Bot
    digests: DigestService
    emu: SlackEmulator
    clock: Callable[[], datetime]

    @property
    def team(self) -> str:
        return self.emu.team_id

    def digests_in(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.emu.messages(channel) if m.get("user") == self.emu.bot_user_id]

    def wait_stored(self, channel: str, count: int) -> None:
        store = self.bot.services.store
        self.emu.wait_for(lambda: store.count_messages(self.team, channel) >= count)


def running_kiok(
    emulator: SlackEmulator, fake_ollama: FakeOllama, embedder: Embedder, tmp_path: Path
) -> Iterator[Kiok]:
    """A started Bot with digests and the App Home listeners (wired here until bootstrap does it)."""
    from tests.e2e import bot_settings  # a pytest plugin here: imported once pytest has loaded it

    settings = bot_settings(emulator, fake_ollama.url, tmp_path)
    settings = settings.model_copy(update={"summary": settings.summary.model_copy(update={"workers": 0})})

    def clock() -> datetime:
        return datetime.fromtimestamp(emulator.clock.now(), UTC)

    bot = Bot(settings, embedder=embedder, clock=clock)
    digests = digests_of(bot.services)
    if digests is None:
        digests = build_digests(settings, bot.services.store.engine, clock=clock)
        # the services as the composition root will pass them once digests are wired in
        with_digests = make_dataclass(
            "WithDigests", [("digests", DigestService)], bases=(Services,), frozen=True
        )
        wired = with_digests(
            **{f.name: getattr(bot.services, f.name) for f in fields(Services)}, digests=digests
        )
        app_home.register(bot.app, wired)
        actions.register(bot.app, wired)
    bot.start()
    digests.start(bot.client)
    emulator.wait_connected()
    try:
        yield Kiok(bot, digests, emulator, clock)
    finally:
        digests.shutdown()
        bot.stop()


@pytest.fixture
def kiok(
    emulator: SlackEmulator, fake_ollama: FakeOllama, embedder: Embedder, tmp_path: Path
) -> Iterator[Kiok]:
    yield from running_kiok(emulator, fake_ollama, embedder, tmp_path)


def job_runs(service: DigestService) -> list[JobExecutionEvent]:
    runs: list[JobExecutionEvent] = []
    assert service.scheduler is not None
    service.scheduler.add_listener(runs.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return runs


def seeded_channel(kiok: Kiok, name: str = "release") -> tuple[str, str]:
    alice = kiok.emu.add_user(name=f"alice-{name}")
    channel = kiok.emu.add_channel(name, members=[alice])
    kiok.emu.post_message(channel, alice, "We ship v2.3 on Friday after the QA pass.")
    kiok.wait_stored(channel, 1)
    return alice, channel


def test_the_real_scheduler_posts_a_digest_once_even_when_the_job_fires_three_times(kiok: Kiok) -> None:
    alice, channel = seeded_channel(kiok)
    svc = kiok.digests
    svc.set_schedule(kiok.team, channel, "daily", None, "09:00", "Asia/Seoul", alice)
    assert svc.scheduler is not None
    runs = job_runs(svc)
    soon = datetime.now(UTC) + timedelta(seconds=1)
    svc.scheduler.modify_job(jobs.job_id(kiok.team, channel), next_run_time=soon)
    for i in range(2):  # the same job function triggered twice more at the same instant
        svc.scheduler.add_job(
            jobs.JOB_FUNC, "date", run_date=soon, args=[kiok.team, channel], id=f"again-{i}"
        )

    kiok.emu.wait_for(lambda: len(runs) >= 3)
    assert [r.exception for r in runs] == [None, None, None]
    assert len(kiok.digests_in(channel)) == 1
    schedule = svc.store.get_schedule(kiok.team, channel)
    assert schedule is not None
    key = periods.period_key(schedule, periods.latest_occurrence(schedule, kiok.clock()))
    assert [(p.period_key, p.state) for p in svc.store.posts(kiok.team, channel)] == [(key, "posted")]
    status = svc.status(kiok.team, channel)  # back on its daily trigger, at 09:00 in Seoul
    assert status.next_run is not None and status.next_run.astimezone(periods.zone("Asia/Seoul")).hour == 9
    assert status.cadence == "daily" and status.last_post is not None


def test_two_bot_processes_on_one_database_post_one_digest(kiok: Kiok) -> None:
    alice, channel = seeded_channel(kiok)
    svc = kiok.digests
    svc.set_schedule(kiok.team, channel, "weekly", 2, "10:30", "UTC", alice)
    engine = create_db_engine(kiok.bot.services.settings.db_url)
    other = DigestService(engine=engine, clock=kiok.clock)  # another process: own engine, scheduler, client
    other.start(WebClient(token=kiok.emu.bot_token, base_url=kiok.emu.api_url))
    try:
        runs, other_runs = job_runs(svc), job_runs(other)
        soon = datetime.now(UTC) + timedelta(seconds=1)
        for service in (svc, other):  # both schedulers wake for the same job at the same instant...
            assert service.scheduler is not None
            service.scheduler.modify_job(jobs.job_id(kiok.team, channel), next_run_time=soon)
        barrier = threading.Barrier(4)
        results: list[str | None] = []

        def by_hand(service: DigestService) -> None:
            barrier.wait()
            results.append(service.run_scheduled(kiok.team, channel))

        threads = [threading.Thread(target=by_hand, args=(s,)) for s in (svc, other, svc, other)]
        for th in threads:  # ...and both run it by hand, concurrently, twice each
            th.start()
        for th in threads:
            th.join()
        kiok.emu.wait_for(lambda: runs or other_runs)
        time.sleep(0.5)  # room for the slower scheduler to fire too
    finally:
        other.shutdown()
        engine.dispose()
    assert len(kiok.digests_in(channel)) == 1
    assert len([r for r in results if r]) <= 1
    assert [p.state for p in svc.store.posts(kiok.team, channel)] == ["posted"]


def test_a_digest_missed_while_down_is_caught_up_once_after_a_restart(kiok: Kiok) -> None:
    alice, channel = seeded_channel(kiok)
    svc = kiok.digests
    svc.set_schedule(kiok.team, channel, "daily", None, "09:00", "UTC", alice)
    assert svc.scheduler is not None
    svc.scheduler.pause()  # the process goes down just before its run was due...
    svc.scheduler.modify_job(
        jobs.job_id(kiok.team, channel), next_run_time=datetime.now(UTC) - timedelta(minutes=5)
    )
    svc.shutdown()
    assert kiok.digests_in(channel) == []
    restarted = DigestService(engine=kiok.bot.services.store.engine, clock=kiok.clock)
    restarted.start(kiok.bot.client)  # ...and comes back: the missed run fires once (misfire grace, coalesce)
    try:
        kiok.emu.wait_for(lambda: len(kiok.digests_in(channel)) == 1)
        assert restarted.run_scheduled(kiok.team, channel) is None  # the same period again: nothing
        assert restarted.scheduler is not None
        job = restarted.scheduler.get_job(jobs.job_id(kiok.team, channel))
        assert job is not None and job.next_run_time > datetime.now(UTC)
    finally:
        restarted.shutdown()
    assert len(kiok.digests_in(channel)) == 1


def test_a_failed_post_is_marked_failed_and_the_retry_posts_it(kiok: Kiok) -> None:
    _alice, channel = seeded_channel(kiok)
    kiok.emu.faults.fail("chat.postMessage", "internal_error")
    with pytest.raises(DigestFailed, match="internal_error"):
        kiok.digests.post_now(kiok.bot.client, kiok.team, channel)
    assert [p.state for p in kiok.digests.store.posts(kiok.team, channel)] == ["failed"]
    ts = kiok.digests.post_now(
        kiok.bot.client, kiok.team, channel
    )  # same minute: the failed period is retried
    assert ts is not None and [m["ts"] for m in kiok.digests_in(channel)] == [ts]
    assert kiok.digests.post_now(kiok.bot.client, kiok.team, channel) is None  # and not posted twice


def plant(
    kiok: Kiok, channel: str, key: str, items: list[ItemRecord], changes: Sequence[ItemChange] = ()
) -> None:
    first, last = min(i.valid_from for i in items), max(i.valid_from for i in items)
    episode = EpisodeRecord(kiok.team, channel, "day", key, first, last, "summary")
    SummaryStore(kiok.bot.services.store.engine).save_summary(episode, items, list(changes))


def item(kiok: Kiok, channel: str, kind: str, text: str, ts: str, **extra: Any) -> ItemRecord:
    return ItemRecord(kiok.team, channel, kind, text, ts, sources=(ts,), **extra)


def section_texts(message: dict[str, Any]) -> str:
    parts = []
    for block in message["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", [])]
    return "\n".join(parts)


def test_a_digest_shows_what_changed_since_the_previous_one(kiok: Kiok) -> None:
    emu, client = kiok.emu, kiok.bot.client
    alice, bob = emu.add_user(name="alice"), emu.add_user(name="bob")
    channel = emu.add_channel("release", members=[alice, bob])
    friday = emu.post_message(channel, alice, "Decision: we ship v2.3 on Friday. And we use Postgres.")
    kiok.wait_stored(channel, 1)
    plant(
        kiok,
        channel,
        "day-1",
        [
            item(kiok, channel, "decision", "Ship v2.3 on Friday", friday),
            item(kiok, channel, "decision", "Use Postgres in production", friday),
        ],
    )
    first = kiok.digests.post_now(client, kiok.team, channel)
    assert first is not None and "Ship v2.3 on Friday" in section_texts(kiok.digests_in(channel)[0])

    emu.advance(120)  # later: the plan changes
    root = emu.post_message(channel, alice, "Release planning for v2.3")
    for n in range(3):
        emu.post_message(channel, bob if n % 2 else alice, f"reply {n}", thread_ts=root)
    monday = emu.post_message(channel, bob, "PROJ-482 is not fixed: we move the release to Monday.")
    task = emu.post_message(channel, alice, "Carol fixes PROJ-482; Bob writes the notes. Who signs off?")
    kiok.wait_stored(channel, 7)
    friday_id = next(i.id for i in kiok.digests.summaries.items(kiok.team, channel) if "Friday" in i.text)
    today = kiok.clock().date()
    plant(
        kiok,
        channel,
        "day-2",
        [
            item(kiok, channel, "decision", "Ship v2.3 on Monday", monday),
            item(kiok, channel, "decision", "Freeze the public API", monday),
            item(
                kiok,
                channel,
                "action_item",
                "Fix PROJ-482",
                task,
                owner="Carol",
                due=str(today - timedelta(days=1)),
            ),
            item(
                kiok,
                channel,
                "action_item",
                "Write release notes",
                task,
                owner="Bob",
                due=str(today + timedelta(days=7)),
            ),
            item(kiok, channel, "open_question", "Who signs off on the release?", task),
        ],
        [ItemChange(friday_id, replaced_by=0)],
    )
    second = kiok.digests.post_now(client, kiok.team, channel)
    digest = kiok.digests_in(channel)[-1]
    assert second == digest["ts"]
    body, fallback = section_texts(digest), digest["text"]
    link = f"https://acme.slack.com/archives/{channel}/p"
    assert f"*Digest of <#{channel}>*" in body and "6 messages · 2 people" in body
    assert (
        f"• ~Ship v2.3 on Friday~ → Ship v2.3 on Monday _(reversed)_ <{link}{monday.replace('.', '')}|source>"
        in body
    )
    assert "• Freeze the public API" in body
    assert "Use Postgres" not in body  # decided before the previous digest
    assert f"• Fix PROJ-482 — *Carol* · due {today - timedelta(days=1)} · :warning: *overdue*" in body
    assert f"• Write release notes — *Bob* · due {today + timedelta(days=7)} <{link}" in body
    assert "*Open questions*\n• Who signs off on the release?" in body
    assert f"• <{link}{root.replace('.', '')}|Release planning for v2.3> — 3 replies" in body
    assert "https://" not in fallback and "Ship v2.3 on Monday" in fallback and "overdue" in fallback
    assert len(digest["blocks"]) <= 50 and len(fallback) <= 4000
    assert kiok.digests.store.last_posted(kiok.team, channel).message_ts == second  # type: ignore[union-attr]

    emu.advance(120)  # nothing happens until the next digest
    kiok.digests.post_now(client, kiok.team, channel)
    quiet = kiok.digests_in(channel)[-1]
    assert "Nothing changed since the last digest" in section_texts(quiet) and "0 messages" in quiet["text"]


def test_a_korean_channel_gets_a_korean_digest(kiok: Kiok) -> None:
    emu = kiok.emu
    minsu = emu.add_user(name="minsu", locale="ko-KR")
    channel = emu.add_channel("개발팀", members=[minsu])
    ts = emu.post_message(channel, minsu, "금요일에 v2.3 배포하기로 결정했습니다.")
    emu.post_message(channel, minsu, "QA 결과는 목요일까지 공유할게요.")
    kiok.wait_stored(channel, 2)
    plant(kiok, channel, "day-1", [item(kiok, channel, "decision", "금요일에 v2.3 배포", ts)])
    kiok.digests.post_now(kiok.bot.client, kiok.team, channel)
    digest = kiok.digests_in(channel)[-1]
    body = section_texts(digest)
    assert f"*<#{channel}> 요약*" in body and "메시지 2개 · 1명 참여" in body
    assert "*결정 사항*\n• 금요일에 v2.3 배포" in body and "요약" in digest["text"]


def test_run_now_posts_every_due_scheduled_digest_once(kiok: Kiok) -> None:
    alice, channel = seeded_channel(kiok)
    assert kiok.digests.run_now(kiok.bot.client) != []  # no schedules: every remembered channel
    kiok.digests.set_schedule(kiok.team, channel, "daily", None, "00:00", "", alice)
    first = kiok.digests.run_now(kiok.bot.client)
    assert len(first) == 1 and kiok.digests.run_now(kiok.bot.client) == []
    assert len(kiok.digests_in(channel)) == 2
