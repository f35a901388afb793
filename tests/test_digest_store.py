"""Digest schedules and posts in SQL (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), and the period
arithmetic that names what a scheduled run covers."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from app.digests import periods
from app.digests.periods import InvalidSchedule
from memory.digest_store import FAILED, POSTED, DigestStore, ScheduleRecord
from memory.records import MessageRecord
from memory.store import MessageStore


def test_a_period_is_claimed_once_even_by_racing_threads(engine: Engine) -> None:
    store = DigestStore(engine)
    barrier = threading.Barrier(6)
    won: list[int] = []

    def claim() -> None:
        barrier.wait()
        post = store.claim("T", "C1", "daily:2026-11-23", since_ts="1.000000", until_ts="2.000000")
        if post is not None:
            won.append(post.id)

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(won) == 1
    assert [p.state for p in store.posts("T", "C1")] == ["claimed"]


def test_a_failed_post_can_be_claimed_again_and_a_posted_one_cannot(engine: Engine) -> None:
    store = DigestStore(engine)
    first = store.claim("T", "C1", "now:2026-11-23T09:00", since_ts="1.000000", until_ts="2.000000")
    assert first is not None
    store.mark_failed(first.id)
    assert store.last_posted("T", "C1") is None
    again = store.claim("T", "C1", "now:2026-11-23T09:00", since_ts="1.000000", until_ts="3.000000")
    assert again is not None and again.id == first.id and again.until_ts == "3.000000"
    assert store.claim("T", "C1", "now:2026-11-23T09:00", since_ts="1", until_ts="3") is None  # in flight
    store.mark_posted(again.id, "3.000100")
    assert store.claim("T", "C1", "now:2026-11-23T09:00", since_ts="1", until_ts="4") is None
    last = store.last_posted("T", "C1")
    assert last is not None and last.state == POSTED and last.message_ts == "3.000100"
    assert FAILED not in {p.state for p in store.posts("T", "C1")}


def test_schedules_round_trip_and_disable(engine: Engine) -> None:
    store = DigestStore(engine)
    store.save_schedule(ScheduleRecord("T", "C1", "weekly", 4, "17:30", "Asia/Seoul", True, "U1"))
    store.save_schedule(ScheduleRecord("T", "C2", "daily", 0, "09:00", "UTC", True, "U1"))
    assert store.get_schedule("T", "C1") == ScheduleRecord(
        "T", "C1", "weekly", 4, "17:30", "Asia/Seoul", True, "U1"
    )
    assert store.disable("T", "C2") and not store.disable("T", "C2") and not store.disable("T", "C9")
    assert [s.channel_id for s in store.schedules()] == ["C1"]
    assert len(store.schedules(enabled_only=False)) == 2


def test_activity_counts_people_and_busiest_threads_in_range(engine: Engine) -> None:
    messages = MessageStore(engine)
    rec = [
        MessageRecord("T", "C1", "100.000001", "old", "U1"),
        MessageRecord("T", "C1", "200.000001", "Root of the launch thread", "U1"),
        MessageRecord("T", "C1", "200.000002", "r1", "U2", thread_ts="200.000001"),
        MessageRecord("T", "C1", "200.000003", "r2", "U3", thread_ts="200.000001"),
        MessageRecord("T", "C1", "201.000001", "Other root", "U2"),
        MessageRecord("T", "C1", "201.000002", "r", "U2", thread_ts="201.000001"),
        MessageRecord("T", "C1", "202.000001", "digest", "UBOT", bot_id="B1"),
        MessageRecord("T", "C2", "200.500000", "안녕하세요 배포 일정 공유드립니다", "U1"),
    ]
    messages.upsert_messages(rec)
    store = DigestStore(engine)
    activity = store.activity("T", "C1", since_ts="150.000000", until_ts="300.000000")
    assert (activity.messages, activity.people) == (5, 3)
    assert [(t.thread_ts, t.replies, t.root_text) for t in activity.threads] == [
        ("200.000001", 2, "Root of the launch thread"),
        ("201.000001", 1, "Other root"),
    ]
    assert store.channels_with_messages("T") == [("T", "C1"), ("T", "C2")]
    assert store.recent_texts("T", "C2") == ["안녕하세요 배포 일정 공유드립니다"]


def schedule(
    cadence: str = "daily", weekday: int = 0, at: str = "09:00", tz: str = "Asia/Seoul"
) -> ScheduleRecord:
    return ScheduleRecord("T", "C", cadence, weekday, at, tz)


def test_the_period_of_a_run_is_its_latest_occurrence_in_the_schedules_zone() -> None:
    # 2026-11-23 is a Monday. 23:30 UTC on Sunday the 22nd is already 08:30 Monday in Seoul.
    before_nine = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert (
        periods.period_key(schedule(), periods.latest_occurrence(schedule(), before_nine))
        == "daily:2026-11-22"
    )
    after_nine = datetime(2026, 11, 23, 0, 5, tzinfo=UTC)  # 09:05 in Seoul
    assert (
        periods.period_key(schedule(), periods.latest_occurrence(schedule(), after_nine))
        == "daily:2026-11-23"
    )
    # a catch-up run the next morning still names the period that was missed
    late = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 08:00 on the 24th in Seoul
    assert periods.period_key(schedule(), periods.latest_occurrence(schedule(), late)) == "daily:2026-11-23"
    friday = schedule("weekly", 4, "17:00")
    occurrence = periods.latest_occurrence(friday, after_nine)
    assert occurrence.isoformat() == "2026-11-20T17:00:00+09:00"
    assert periods.period_key(friday, occurrence) == "weekly:2026-W47"
    assert periods.manual_key(after_nine) == "now:2026-11-23T00:05"


def test_triggers_fire_in_the_schedules_zone() -> None:
    now = datetime(2026, 11, 23, 0, 5, tzinfo=UTC)
    nxt = periods.trigger(schedule("weekly", 4, "17:00")).get_next_fire_time(None, now)
    assert nxt is not None and nxt.astimezone(UTC).isoformat() == "2026-11-27T08:00:00+00:00"


@pytest.mark.parametrize(
    ("cadence", "weekday", "at", "tz", "message"),
    [
        ("hourly", None, "09:00", "UTC", "cadence"),
        ("weekly", None, "09:00", "UTC", "weekday"),
        ("daily", None, "9am", "UTC", "HH:MM"),
        ("daily", None, "24:00", "UTC", "HH:MM"),
        ("daily", None, "09:00", "Mars/Olympus", "time zone"),
    ],
)
def test_invalid_schedules_say_what_to_fix(
    cadence: str, weekday: int | None, at: str, tz: str, message: str
) -> None:
    with pytest.raises(InvalidSchedule, match=message):
        periods.validate(cadence, weekday, at, tz)
