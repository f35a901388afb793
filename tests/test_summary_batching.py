"""Batching on real SQL (SQLite and PostgreSQL) and the real job queue, with a fake Ollama: when a batch
forms (size threshold, maximum wait, per channel), that each message is read once, that episodes stay per
segment with their own sources, and that a batch is one crash-safe job."""

import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.bootstrap import build_summaries
from app.settings import Settings
from memory.records import ChannelRecord, MessageRecord, UserRecord
from memory.service import MemoryService
from memory.summaries import ItemRecord, SummaryStore
from summarizer.batch_plan import BATCH
from summarizer.config import LLMSettings
from summarizer.llm import make_llm_client
from summarizer.schemas import batch_segment_ids
from summarizer.tokens import estimate_tokens
from tests.fakes.fake_ollama import FakeOllama

T = "T1"
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def ts(day: float, minute: int) -> str:
    return f"{(MONDAY + timedelta(days=day, minutes=minute)).timestamp():.6f}"


def msg(
    channel: str, day: float, minute: int, text: str, user: str, thread: tuple[float, int] | None = None
) -> MessageRecord:
    return MessageRecord(T, channel, ts(day, minute), text, user, thread_ts=ts(*thread) if thread else None)


def answer(body: dict[str, Any]) -> str:
    """Summarizes each segment by its first message's words; a decision from every "decide" message."""
    user = body["messages"][-1]["content"]
    if "format" not in body:
        return "Week: " + user[:40]
    ids = batch_segment_ids(body["format"])
    blocks = re.split(r"^\[(S\d+)[^\]]*\]\n", user.split("<messages>\n")[1], flags=re.M)[1:]
    firsts = {
        sid: block.split("\n")[0].split(": ", 1)[1][:30]
        for sid, block in zip(blocks[::2], blocks[1::2], strict=True)
    }
    decisions = [
        {"text": m.group(2), "source": [int(m.group(1))]}
        for m in re.finditer(r"^(\d+)\. \w+: decide (.+)$", user, re.M)
    ]
    return json.dumps(
        {
            "segments": [{"id": i, "summary": f"On {firsts[i]}"} for i in ids],
            "overview": "all",
            "decisions": decisions,
        }
    )


def pipeline(memory: MemoryService, settings: Settings, fake: FakeOllama, **summary: Any) -> Any:
    settings = settings.model_copy(update={"summary": settings.summary.model_copy(update=summary)})
    fake.responder = answer
    for channel, name in (("C1", "release"), ("C2", "design")):
        memory.directory.upsert_channel(ChannelRecord(T, channel, name, "channel", False))
    for uid, name in (("U1", "Alice"), ("U2", "Carol")):
        memory.directory.upsert_user(UserRecord(T, uid, name.lower(), name))
    llm = make_llm_client(LLMSettings(base_url=fake.url, model="gemma3:4b", idle_timeout=5))  # type: ignore[call-arg]
    return build_summaries(settings, memory, llm=llm)


def batch_jobs(p: Any) -> list[Any]:
    with p.queue._engine.connect() as conn:  # the jobs as stored
        from sqlalchemy import text

        keys = [
            k for (k,) in conn.execute(text("SELECT key FROM jobs WHERE kind = :k ORDER BY id"), {"k": BATCH})
        ]
    return [p.queue.get(BATCH, k) for k in keys]


def test_a_batch_forms_once_the_ready_text_reaches_the_minimum_size(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    p = pipeline(memory, memory_settings, fake_ollama, batch_min_tokens=60, batch_max_wait_hours=1000)
    memory.ingest([msg("C1", 0, 0, "short thread opener", "U1", (0, 0)), msg("C1", 0, 1, "ok", "U2", (0, 0))])
    later = MONDAY + timedelta(hours=5)
    assert p.planner.plan(now=later) == 0  # ready (quiet), but small and not waiting long
    words = "a longer reply that carries enough words to pass the threshold " * 3
    memory.ingest([msg("C1", 0, 30, words, "U1", (0, 30)), msg("C1", 0, 40, "no thread yet", "U2")])
    assert p.planner.plan(now=later) == 1  # two quiet threads now reach 60 tokens (today's loose talk waits)
    (job,) = batch_jobs(p)
    assert [(s["kind"], s["first"], s["last"]) for s in job.payload["segments"]] == [
        ("thread", ts(0, 0), ts(0, 1)),
        ("thread", ts(0, 30), ts(0, 30)),
    ]
    assert estimate_tokens("short thread opener") + estimate_tokens("ok") + estimate_tokens(words) >= 60
    assert job.key.startswith(f"{T}:C1:{ts(0, 0)}:")


def test_a_small_batch_forms_once_its_oldest_segment_waited_the_maximum(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    p = pipeline(
        memory,
        memory_settings,
        fake_ollama,
        batch_min_tokens=10_000,
        batch_max_wait_hours=24,
        thread_idle_minutes=60,
    )
    memory.ingest(
        [msg("C1", 0, 0, "decide ship the beta", "U1", (0, 0)), msg("C1", 0, 5, "agreed", "U2", (0, 0))]
    )
    quiet = MONDAY + timedelta(minutes=65)  # quiet (idle 60 min) since 10:05
    assert p.planner.plan(now=quiet + timedelta(hours=23, minutes=59)) == 0
    assert p.planner.plan(now=quiet + timedelta(hours=24)) == 1
    assert p.runner.run_pending() == 1
    store = SummaryStore(memory.store.engine)
    (episode,) = store.episodes(T, "C1", kind="thread")
    assert episode.summary == "On decide ship the beta" and episode.sources == (ts(0, 0), ts(0, 5))
    assert [d.text for d in store.items(T, "C1", kinds=["decision"])] == ["ship the beta"]


def test_batches_are_per_channel_and_every_message_is_read_once(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    p = pipeline(memory, memory_settings, fake_ollama, batch_max_wait_hours=0)
    sent: list[MessageRecord] = []
    for day in range(3):  # threads and loose talk in two channels over three days, planned every 6 hours
        batch = [
            msg("C1", day, 0, f"release thread {day} opens", "U1", (day, 0)),
            msg("C1", day, 3, f"decide release item {day}", "U2", (day, 0)),
            msg("C1", day, 60, f"release loose talk {day}", "U1"),
            msg("C2", day, 10, f"design thread {day} opens", "U2", (day, 10)),
            msg("C2", day, 90, f"design loose talk {day}", "U2"),
        ]
        memory.ingest(batch)
        sent += batch
        for hours in (6, 12, 18, 24):
            p.planner.plan(now=MONDAY + timedelta(days=day, hours=hours))
            p.runner.run_pending()
    p.planner.plan(now=MONDAY + timedelta(days=4))
    p.runner.run_pending()
    assert p.queue.counts(BATCH)["failed"] == 0
    prompts = [b["messages"][-1]["content"] for b in fake_ollama.bodies("/api/chat") if "format" in b]
    for m in sent:
        assert sum(m.text in prompt for prompt in prompts) == 1, m.text
    for prompt in prompts:  # one channel per call
        assert ("release" in prompt) != ("design" in prompt)
    for job in batch_jobs(p):
        channel = job.payload["channel"]
        assert job.key.startswith(f"{T}:{channel}:")
    store = SummaryStore(memory.store.engine)
    threads = store.episodes(T, "C1", kind="thread")
    assert [e.sources for e in threads] == [(ts(d, 0), ts(d, 3)) for d in range(3)]
    assert [e.participants for e in threads] == [("U1", "U2")] * 3
    assert [(e.start_ts, e.end_ts) for e in threads] == [(ts(d, 0), ts(d, 3)) for d in range(3)]
    days = store.episodes(T, "C2", kind="day")
    assert [(e.key, e.sources) for e in days] == [(f"2026-11-{16 + d}", (ts(d, 90),)) for d in range(3)]
    assert all(e.summary.startswith("On ") for e in threads + days)
    items = store.items(T, "C1", kinds=["decision"])
    assert [(i.text, i.sources) for i in items] == [(f"release item {d}", (ts(d, 3),)) for d in range(3)]
    by_episode = {e.id: e for e in threads}
    assert all(by_episode[i.episode_id].thread_ts == ts(d, 0) for d, i in enumerate(items))  # its own segment
    spent = sum(SummaryStore(memory.store.engine).token_totals(T, c)[0] for c in ("C1", "C2"))
    reported = sum(int(job.result.get("input_tokens", 0)) for job in batch_jobs(p))
    assert spent == reported > 0  # the batch's tokens are shared out over its episodes, none lost


def test_a_batch_is_one_job_that_a_crash_repeats_once_and_planning_never_overlaps(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    p = pipeline(memory, memory_settings, fake_ollama, batch_max_wait_hours=0, job_lease_seconds=1)
    memory.ingest([msg("C1", 0, 0, "decide ship the beta", "U1", (0, 0)), msg("C1", 0, 30, "lunch?", "U2")])
    now = MONDAY + timedelta(days=1)
    assert p.planner.plan(now=now) == 1
    assert p.planner.plan(now=now) == 0  # the same batch, the same key
    (job,) = batch_jobs(p)
    crashed = p.queue.claim("dead-worker", kinds=[BATCH])  # a worker takes it and dies mid-call
    assert crashed is not None and crashed.key == job.key
    memory.ingest([msg("C1", 0, 1, "one more reply", "U2", (0, 0)), msg("C1", 0, 40, "late loose", "U1")])
    assert p.planner.plan(now=now) == 0  # the channel's batch is still running: nothing overlapping is queued
    time.sleep(1.1)  # its lease expires
    assert p.runner.run_pending() == 1  # another worker takes the very same batch over
    assert p.queue.get(BATCH, job.key).state == "done"
    store = SummaryStore(memory.store.engine)
    (thread,) = store.episodes(T, "C1", kind="thread")
    assert thread.sources == (ts(0, 0),)  # the job's own range, not what arrived meanwhile
    calls = len(fake_ollama.bodies("/api/chat"))
    assert p.worker.batch(p.queue.get(BATCH, job.key)) == {"skipped": "already summarized", "segments": 2}
    assert len(fake_ollama.bodies("/api/chat")) == calls  # a rerun after the write makes no LLM call
    assert p.planner.plan(now=now) == 1  # what arrived meanwhile is the next batch
    p.runner.run_pending()
    assert [e.sources for e in store.episodes(T, "C1", kind="thread")] == [(ts(0, 0),), (ts(0, 1),)]
    assert len(store.items(T, "C1", kinds=["decision"])) == 1


RELATED = [
    ("avro", "billing", "serialization"),
    ("kafka", "payments", "queue"),
    ("redis", "session", "cache"),
    ("nginx", "gateway", "proxy"),
    ("grafana", "latency", "dashboards"),
]
UNRELATED = ["Lunch is at noon on Fridays", "The office closes early in December", "Standup moves to ten"]


def test_live_items_the_new_messages_may_update_are_listed_first_then_the_newest(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    p = pipeline(memory, memory_settings, fake_ollama, batch_max_wait_hours=0, live_items=3)
    memory.ingest([msg("C1", 0, 0, "decide old things", "U1", (0, 0))])
    p.planner.plan(now=MONDAY + timedelta(hours=3))
    p.runner.run_pending()
    store = SummaryStore(memory.store.engine)
    (episode,) = store.episodes(T, "C1", kind="thread")
    texts = [f"Use {tool} for the {area} {what}" for tool, area, what in RELATED] + UNRELATED
    planted = [ItemRecord(T, "C1", "decision", t, ts(0, 1 + i)) for i, t in enumerate(texts)]
    store.save_summary(replace(episode, key="planted", id=0), planted, [])
    news = [f"Change of plan: the {area} {what} moves off {tool}" for tool, area, what in RELATED[:2]]
    memory.ingest([msg("C1", 1, i, text, "U2", (1, 0)) for i, text in enumerate(news)])
    p.planner.plan(now=MONDAY + timedelta(days=1, hours=3))
    p.runner.run_pending()
    user = [b for b in fake_ollama.bodies("/api/chat") if "format" in b][-1]["messages"][-1]["content"]
    listed = re.findall(r"^[DAQ]\d+: (.*)$", user, re.M)
    assert len(listed) == 3 and set(texts[:2]) < set(listed)  # the two the messages update, then the newest
    assert texts[-1] in listed

    many = [f"Change of plan: the {area} {what} moves off {tool}" for tool, area, what in RELATED]
    memory.ingest([msg("C1", 2, i, text, "U2", (2, 0)) for i, text in enumerate(many)])
    p.planner.plan(now=MONDAY + timedelta(days=2, hours=3))
    p.runner.run_pending()
    user = [b for b in fake_ollama.bodies("/api/chat") if "format" in b][-1]["messages"][-1]["content"]
    listed = re.findall(r"^[DAQ]\d+: (.*)$", user, re.M)
    assert len(listed) == 3 and set(listed) <= set(texts[:5])  # capped at live_items, all related


def test_weeks_roll_up_from_their_batches_overviews(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    p = pipeline(memory, memory_settings, fake_ollama, batch_max_wait_hours=0)
    for day in (0, 2):  # two batches in the week of Mon 16 Nov
        memory.ingest(
            [msg("C1", day, 0, f"thread {day}", "U1", (day, 0)), msg("C2", day, 0, f"loose {day}", "U2")]
        )
        p.planner.plan(now=MONDAY + timedelta(days=day, hours=20))
        p.runner.run_pending()
    assert [e.summary for e in SummaryStore(memory.store.engine).episodes(T, "C1", kind="batch")] == [
        "all"
    ] * 2
    memory.ingest([msg("C1", 3, 0, "a late thread, still in the week", "U1", (3, 0))])
    assert p.planner.plan(now=MONDAY + timedelta(days=7, hours=1)) == 2  # C1's Thursday, and week of C2
    p.runner.run_pending()
    assert p.planner.plan(now=MONDAY + timedelta(days=7, hours=2)) == 1  # C1's week, once nothing waits
    p.runner.run_pending()
    store = SummaryStore(memory.store.engine)
    (c1,) = store.episodes(T, "C1", kind="week")
    assert c1.key == "2026-W47" and c1.summary == "all all all"  # short: the overviews are the summary
    assert c1.sources == (ts(0, 0), ts(2, 0), ts(3, 0)) and c1.input_tokens == 0
    with_call = [b for b in fake_ollama.bodies("/api/chat") if "format" not in b]
    assert with_call == []  # no model call for a week that short
