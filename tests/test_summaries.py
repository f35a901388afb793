"""Summaries end to end on real SQL and the real job queue, with a fake Ollama speaking the real API."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from app.bootstrap import build_summaries
from app.settings import Settings
from memory.records import ChannelRecord, MessageRecord, UserRecord
from memory.service import MemoryService
from memory.summaries import SummaryStore
from summarizer.config import LLMSettings
from summarizer.llm import make_llm_client
from summarizer.schemas import batch_segment_ids
from tests.fakes.fake_ollama import FakeOllama

T, C = "T1", "C1"
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def ts(day: int, minute: int) -> str:
    return f"{(MONDAY + timedelta(days=day, minutes=minute)).timestamp():.6f}"


def batch(body: dict[str, Any], **parts: Any) -> str:
    """A batch answer: a summary for every segment id the schema asks for, plus `parts` (items)."""
    ids = batch_segment_ids(body["format"])
    return json.dumps({"segments": [{"id": i, "summary": f"Segment {i}."} for i in ids], **parts})


def responder(body: dict[str, Any]) -> str:
    """Plays a capable model: reads the prompt, answers with what a good model would extract."""
    prompt = body["messages"][-1]["content"]
    if "format" not in body:
        return "Week summary: release planning."
    thursday = {"text": "Ship v2.3 on Thursday", "source": [2]}
    carol = {"text": "Fix the login bug PROJ-482", "owner": "Carol", "source": [3]}
    notes = {"text": "Who writes the release notes?", "source": [1]}
    if "ship v2.3 on Thursday" in prompt and "move the release to Monday" in prompt:  # one batch: N-refs
        return batch(
            body,
            decisions=[
                thursday,
                {"text": "Ship v2.3 on Monday instead of Thursday", "replaces": ["N1"], "source": [4]},
            ],
            action_items=[carol, {**carol, "owner": "Dave", "replaces": ["N1"], "source": [5]}],
        )
    if "ship v2.3 on Thursday" in prompt:
        return batch(body, decisions=[thursday], action_items=[carol], open_questions=[notes])
    if "move the release to Monday" in prompt:
        assert "D1: Ship v2.3 on Thursday" in prompt and "A1: Fix the login bug PROJ-482" in prompt
        return batch(
            body,
            decisions=[
                {"text": "Ship v2.3 on Monday instead of Thursday", "replaces": ["D1"], "source": [1]}
            ],
            action_items=[{**carol, "owner": "Dave", "replaces": ["A1"], "source": [2]}],
            answered_questions=["Q1"],
            conventions=[{"text": "Releases need a QA sign-off", "source": [3]}],
        )
    return batch(body)


def setup(memory: MemoryService, tmp_settings: Settings, fake: FakeOllama) -> Any:
    """The pipeline with batches due as soon as anything is ready (thresholds: test_summary_batching)."""
    summary = tmp_settings.summary.model_copy(update={"batch_max_wait_hours": 0})
    tmp_settings = tmp_settings.model_copy(update={"summary": summary})
    fake.responder = responder
    memory.directory.upsert_channel(ChannelRecord(T, C, "release", "channel", False))
    for uid, name in (("U1", "Alice"), ("U2", "Carol"), ("U3", "Dave")):
        memory.directory.upsert_user(UserRecord(T, uid, name.lower(), name))
    llm = make_llm_client(LLMSettings(base_url=fake.url, model="gemma3:4b", idle_timeout=5))  # type: ignore[call-arg]
    return build_summaries(tmp_settings, memory, llm=llm)


def msg(day: int, minute: int, text: str, user: str, thread: tuple[int, int] | None) -> MessageRecord:
    return MessageRecord(T, C, ts(day, minute), text, user, thread_ts=ts(*thread) if thread else None)


def test_reversed_decision_is_superseded_and_the_brief_holds_only_the_new_one(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    pipeline = setup(memory, memory_settings, fake_ollama)
    memory.ingest(
        [
            msg(0, 0, "Who writes the release notes? Planning v2.3.", "U1", (0, 0)),
            msg(0, 5, "Let's ship v2.3 on Thursday", "U1", (0, 0)),
            msg(0, 9, "I'll fix PROJ-482 by Wednesday", "U2", (0, 0)),
            msg(0, 30, "coffee anyone?", "U3", None),
        ]
    )
    assert pipeline.planner.plan(now=MONDAY + timedelta(days=1)) == 1  # the quiet thread and Monday's talk
    assert pipeline.runner.run_pending() == 1
    store = SummaryStore(memory.store.engine)
    assert [
        (e.kind, e.sources) for e in store.episodes(T, C, kind="thread") + store.episodes(T, C, kind="day")
    ] == [
        ("thread", (ts(0, 0), ts(0, 5), ts(0, 9))),
        ("day", (ts(0, 30),)),
    ]  # one call, one episode per segment

    memory.ingest(
        [
            msg(2, 0, "QA failed: we move the release to Monday", "U1", (2, 0)),
            msg(2, 3, "Dave takes PROJ-482 over from Carol", "U1", (2, 0)),
            msg(2, 4, "Rule from now on: releases need a QA sign-off", "U1", (2, 0)),
        ]
    )
    pipeline.planner.plan(now=MONDAY + timedelta(days=2, hours=3))
    pipeline.runner.run_pending()

    decisions = store.items(T, C, kinds=["decision"], live_only=False)
    assert [d.text for d in decisions] == ["Ship v2.3 on Thursday", "Ship v2.3 on Monday instead of Thursday"]
    old, new = decisions
    assert old.superseded_by == new.id and old.valid_to == new.valid_from == ts(2, 0)
    assert new.live and old.sources == (ts(0, 5),)

    actions = store.items(T, C, kinds=["action_item"])
    assert [(a.owner, a.text) for a in actions] == [("Dave", "Fix the login bug PROJ-482")]
    assert store.items(T, C, kinds=["open_question"]) == []  # answered

    brief = store.get_brief(T, C) or ""
    assert (
        "Ship v2.3 on Monday" in brief
        and "on Thursday\n" not in brief
        and "Ship v2.3 on Thursday" not in brief
    )
    assert "Dave: Fix the login bug PROJ-482" in brief and "Carol" not in brief
    assert "Releases need a QA sign-off" in brief


def test_each_job_runs_once_and_dates_are_resolved_by_code(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    pipeline = setup(memory, memory_settings, fake_ollama)
    memory.ingest(
        [
            msg(0, 0, "Planning v2.3.", "U1", (0, 0)),
            msg(0, 5, "Let's ship v2.3 on Thursday", "U1", (0, 0)),
            msg(0, 9, "I'll fix PROJ-482 by tomorrow", "U2", (0, 0)),
        ]
    )
    now = MONDAY + timedelta(days=1)
    assert pipeline.planner.plan(now=now) == 1
    assert pipeline.planner.plan(now=now) == 0  # idempotent on the input range
    assert pipeline.runner.run_pending() == 1
    assert pipeline.planner.plan(now=now) == 0 and pipeline.runner.run_pending() == 0
    prompt = fake_ollama.bodies("/api/chat")[0]["messages"][-1]["content"]
    assert "tomorrow [2026-11-17" in prompt  # the model copies dates, it never computes them
    action = SummaryStore(memory.store.engine).items(T, C, kinds=["action_item"])[0]
    assert action.due == "2026-11-17"  # the model gave no date: resolved from the message's own ts
    episode = SummaryStore(memory.store.engine).episodes(T, C, kind="thread")[0]
    assert (
        episode.input_tokens > 0
        and episode.output_tokens > 0
        and episode.sources == (ts(0, 0), ts(0, 5), ts(0, 9))
    )


def test_llm_down_defers_the_job_and_nothing_is_lost(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    pipeline = setup(memory, memory_settings, fake_ollama)
    memory.ingest([msg(0, 0, "Let's ship v2.3 on Thursday", "U1", (0, 0)), msg(0, 1, "ok", "U2", (0, 0))])
    fake_ollama.fail_next(503, {"error": "server busy"}, times=10)
    assert pipeline.planner.plan(now=MONDAY + timedelta(days=1)) == 1
    pipeline.runner.run_pending()
    assert pipeline.queue.counts()["queued"] == 1  # deferred with backoff, not failed
    assert SummaryStore(memory.store.engine).episodes(T, C, kind="thread") == []


def summarized(memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama) -> None:
    """A release thread, its reversal two days later and a task handed over: summarized and indexed."""
    pipeline = setup(memory, memory_settings, fake_ollama)
    memory.ingest(
        [
            msg(0, 0, "Who writes the release notes? Planning v2.3.", "U1", (0, 0)),
            msg(0, 5, "Let's ship v2.3 on Thursday", "U1", (0, 0)),
            msg(0, 9, "I'll fix PROJ-482 by Wednesday", "U2", (0, 0)),
            msg(2, 0, "QA failed: we move the release to Monday", "U1", (2, 0)),
            msg(2, 3, "Dave takes PROJ-482 over from Carol", "U1", (2, 0)),
        ]
    )
    pipeline.planner.plan(now=MONDAY + timedelta(days=3))
    pipeline.runner.run_pending()
    memory.indexer.index_pending()


def test_summaries_are_recalled_with_superseded_marks_and_forgotten_with_their_messages(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    from memory.retrieval import RecallQuery

    summarized(memory, memory_settings, fake_ollama)
    hits = memory.recall(RecallQuery(T, C, "which day do we ship v2.3?", k=10))
    decisions = {h.text: h for h in hits if h.kind == "decision"}
    assert "Ship v2.3 on Thursday [superseded]" in decisions
    assert "Ship v2.3 on Monday instead of Thursday" in decisions
    assert decisions["Ship v2.3 on Monday instead of Thursday"].sources == (ts(2, 0),)
    assert any(h.kind == "episode" for h in hits)
    assert not memory.recall(RecallQuery(T, "C9", "ship v2.3", k=10))  # another channel sees none of it

    memory.forget(T, channel_id=C, thread_ts=ts(2, 0))
    store = SummaryStore(memory.store.engine)
    assert [e.key.split("@")[0] for e in store.episodes(T, C, kind="thread")] == [ts(0, 0)]
    assert all("Monday" not in h.text for h in memory.recall(RecallQuery(T, C, "ship v2.3 Monday", k=10)))
    memory.forget(T, channel_id=C)
    assert store.episodes(T, C, kind="thread") == [] and store.get_brief(T, C) is None
    assert memory.indexer.point_count() == 0


def test_a_korean_channel_gets_its_brief_in_korean() -> None:
    from datetime import UTC, datetime

    from memory.summaries import ItemRecord
    from summarizer.brief import render_brief

    friday = str(datetime(2026, 11, 20, 9, tzinfo=UTC).timestamp())
    items = [
        ItemRecord(T, C, "decision", "v2.3은 금요일에 배포", friday),
        ItemRecord(T, C, "action_item", "릴리스 노트 작성", friday, owner="민수", due="2026-11-27"),
    ]
    now = datetime(2026, 11, 23, tzinfo=UTC)
    ko = render_brief("dev-kr", items, budget=600, now=now, language="ko")
    assert ko.splitlines()[0] == "#dev-kr 프로젝트 브리프 (2026-11-23 (월) 기준)"
    assert "결정 사항:\n- v2.3은 금요일에 배포 (2026-11-20 (금)부터)" in ko
    assert "진행 중인 할 일:\n- 민수: 릴리스 노트 작성 (마감 2026-11-27 (금))" in ko
    en = render_brief("release", items, budget=600, now=now)
    assert "(since Fri 20 Nov)" in en and "(due Fri 27 Nov)" in en and "Open action items:" in en


def test_summaries_have_their_own_quota_and_never_push_messages_out(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    from memory.retrieval import RecallQuery

    summarized(memory, memory_settings, fake_ollama)
    query = RecallQuery(T, C, "which day do we ship v2.3?", k=2)
    hits = memory.recall(query)
    messages = [h.ts for h in hits if h.kind == "message"]
    summaries = [h for h in hits if h.kind != "message"]
    quota = memory_settings.memory.recall_summaries
    assert len(messages) == 2 and 1 <= len(summaries) <= quota
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)  # one ranked list

    recaller = memory.recaller
    recaller._settings = recaller._settings.model_copy(update={"recall_summaries": 0})
    alone = memory.recall(query)
    assert [h.ts for h in alone] == messages and all(h.kind == "message" for h in alone)
