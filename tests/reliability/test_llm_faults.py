"""The language model down, failing, slow or hung: the real bot over the Slack emulator tells each asker
why within the configured time, keeps answering commands meanwhile, and loses no summarization work.

Numbers (time to the user-visible message, attempts) are printed with a `RELIABILITY` prefix (`-s`)."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.bootstrap import Bot, build_summaries
from app.emulator import SlackEmulator
from app.settings import Settings
from memory.job_runner import JobRunner
from memory.jobs import JobQueue
from memory.records import ChannelRecord, MessageRecord, UserRecord
from memory.service import MemoryService
from memory.summaries import SummaryStore
from summarizer.config import LLMSettings
from summarizer.errors import LLMBadRequest, LLMError
from summarizer.jobs import SummaryPlanner
from summarizer.llm import make_llm_client
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]

DOWN = "couldn't reach the language model"
TOO_SLOW = "no complete answer within"
BUSY = "too busy to answer right now"


def report(name: str, **numbers: Any) -> None:
    print(f"RELIABILITY {name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


def people(emu: SlackEmulator, n_channels: int = 1) -> tuple[str, list[str]]:
    alice = emu.add_user(name="alice", real_name="Alice Kim")
    return alice, [emu.add_channel(name=f"team-{i}", members=[alice]) for i in range(n_channels)]


def final_reply(emu: SlackEmulator, channel: str, ts: str, needle: str, timeout: float = 15.0) -> str:
    def found() -> str:
        texts = [m["text"] for m in emu.thread(channel, ts) if m.get("user") == emu.bot_user_id]
        return next((t for t in texts if needle in t), "")

    return emu.wait_for(found, timeout)


def ask(emu: SlackEmulator, channel: str, user: str, question: str) -> tuple[str, float]:
    return emu.post_message(channel, user, f"<@{emu.bot_user_id}> {question}"), time.monotonic()


def test_unreachable_or_failing_model_is_reported_at_once_and_answers_resume(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot()
    alice, (channel,) = people(emulator)
    fake_ollama.go_down()  # connections refused, as when `ollama serve` is stopped
    ts, asked = ask(emulator, channel, alice, "is the release on track?")
    text = final_reply(emulator, channel, ts, DOWN)
    refused_s = time.monotonic() - asked
    assert "ollama serve" in text and fake_ollama.url in text

    fake_ollama.come_back()
    fake_ollama.fail_next(500, {"error": "llama runner process has terminated"}, path="/api/chat")
    ts, asked = ask(emulator, channel, alice, "and now?")
    text = final_reply(emulator, channel, ts, DOWN)
    error_s = time.monotonic() - asked
    assert "HTTP 500" in text and "llama runner process has terminated" in text

    fake_ollama.enqueue("Yes, on track for Friday.")
    ts, _ = ask(emulator, channel, alice, "one more time?")
    final_reply(emulator, channel, ts, "on track for Friday")
    report("llm_down", refused_to_message_s=f"{refused_s:.2f}", http500_to_message_s=f"{error_s:.2f}")
    assert refused_s < 5 and error_s < 5


def test_slow_model_is_cut_off_at_the_answer_deadline_keeping_what_it_wrote(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    start_bot(answer_timeout=3, idle_timeout=5)
    alice, (channel,) = people(emulator)
    fake_ollama.enqueue("The plan has many careful steps " * 20)
    fake_ollama.token_delay(0.4)  # steady but slow: never idle long enough for the idle timeout
    ts, asked = ask(emulator, channel, alice, "explain the plan")
    text = final_reply(emulator, channel, ts, TOO_SLOW)
    elapsed = time.monotonic() - asked
    report("llm_slow", answer_timeout_s=3, message_after_s=f"{elapsed:.2f}")
    assert text.startswith("The plan has many careful steps") and "▍" not in text
    assert 3 <= elapsed < 5


def test_commands_are_answered_while_the_model_hangs_and_every_asker_hears_back_in_time(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    """More hung questions than Bolt has listener threads (10): the model's wait must not hold them.
    One question reaches the model and is cut off at the deadline, `queue_limit` wait and are told at
    their deadline, the rest are told at once that the queue is full."""
    deadline, limit = 6.0, 5
    start_bot(answer_timeout=deadline, idle_timeout=60, queue_limit=limit)
    alice, channels = people(emulator, 12)
    fake_ollama.delay_first_token(60)  # the model accepts the request, then says nothing
    asked = [ask(emulator, channel, alice, f"question {i}?") for i, channel in enumerate(channels)]
    emulator.wait_for(lambda: len(fake_ollama.bodies("/api/chat")) >= 1)

    started = time.monotonic()
    ack = emulator.send_slash_command("/kiok", "help", user=alice, channel=channels[0]).wait(3.0)
    assert ack is not None
    emulator.send_slash_command("/kiok", "recall question", user=alice, channel=channels[1]).wait(3.0)
    emulator.wait_for(
        lambda: any("question" in e["text"] or e.get("blocks") for e in emulator.ephemerals(channels[1])),
        timeout=5,
    )
    command_s = time.monotonic() - started

    told: dict[int, tuple[float, str]] = {}

    def everyone_told() -> bool:
        for n, ((ts, when), channel) in enumerate(zip(asked, channels, strict=True)):
            if n not in told:
                texts = [
                    m["text"] for m in emulator.thread(channel, ts) if m.get("user") == emulator.bot_user_id
                ]
                notice = next((t for t in texts if ":warning:" in t), None)
                if notice is not None:
                    told[n] = (time.monotonic() - when, notice)
        return len(told) == len(asked)

    emulator.wait_for(everyone_told, timeout=deadline + 10)
    slow = [w for w, text in told.values() if TOO_SLOW in text]
    expired = [w for w, text in told.values() if BUSY in text and "no turn within" in text]
    full = [w for w, text in told.values() if BUSY in text and "already waiting" in text]
    report(
        "llm_hung",
        questions=len(asked),
        commands_answered_s=f"{command_s:.2f}",
        cut_off_at_deadline_s=f"{max(slow):.2f}",
        expired_in_line_s=f"{min(expired):.2f}..{max(expired):.2f}",
        queue_full_told_s=f"{max(full):.2f}",
    )
    assert command_s < 5
    assert (len(slow), len(expired), len(full)) == (1, limit, len(asked) - 1 - limit)
    assert max(w for w, _ in told.values()) < deadline + 3  # each asker hears back by their deadline
    assert max(full) < 3  # turned away at once
    assert len(fake_ollama.bodies("/api/chat")) == 1  # questions that waited never reached the model


T = "T1"
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
CHANNELS = [f"C{n}" for n in range(6)]


class SteppedClock:
    def __init__(self) -> None:
        self.now = MONDAY + timedelta(days=30)  # past any batching wait: every thread is due

    def __call__(self) -> datetime:
        return self.now


def _extraction(body: dict[str, Any]) -> str:
    return '{"summary": "Talked about the release.", "decisions": [], "action_items": [], ' + (
        '"open_questions": [], "facts": [], "conventions": [], "answered_questions": []}'
    )


def _episodes(store: SummaryStore) -> list[tuple[str, str, str]]:
    return [
        (e.channel_id, e.kind, e.key)
        for c in CHANNELS
        for kind in ("thread", "day", "batch")
        for e in store.episodes(T, c, kind=kind)
    ]


def test_summaries_wait_out_a_long_outage_and_each_is_written_once_afterwards(
    memory: MemoryService, memory_settings: Settings, fake_ollama: FakeOllama
) -> None:
    """Ten simulated minutes with the model unreachable: jobs are deferred with growing backoff (no
    attempt is used up), then all complete, each summary stored once."""
    fake_ollama.responder = _extraction
    memory.directory.upsert_user(UserRecord(T, "U1", "alice", "Alice"))
    for n, channel in enumerate(CHANNELS):
        memory.directory.upsert_channel(ChannelRecord(T, channel, f"team-{n}", "channel", False))
        root = f"{(MONDAY + timedelta(minutes=10 * n)).timestamp():.6f}"
        reply = f"{(MONDAY + timedelta(minutes=10 * n + 1)).timestamp():.6f}"
        memory.ingest(
            [
                MessageRecord(T, channel, root, f"Topic {n}: the release plan", "U1", thread_ts=root),
                MessageRecord(T, channel, reply, f"Agreed on topic {n}", "U1", thread_ts=root),
            ]
        )
    llm = make_llm_client(LLMSettings(base_url=fake_ollama.url, model="gemma3:4b", idle_timeout=5))  # type: ignore[call-arg]
    pipeline = build_summaries(memory_settings, memory, llm=llm)
    clock = SteppedClock()
    queue = JobQueue(memory.store.engine, clock=clock)
    runner = JobRunner(queue, pipeline.worker.handlers(), retryable=(LLMError,), fatal=(LLMBadRequest,))
    planner = SummaryPlanner(SummaryStore(memory.store.engine), queue, memory_settings.summary)
    jobs = planner.plan(now=clock.now)
    assert jobs >= len(CHANNELS)  # at least one per channel

    fake_ollama.go_down()
    outage, step = timedelta(minutes=10), timedelta(seconds=15)
    end_of_outage = clock.now + outage
    runs = 0
    while clock.now < end_of_outage:
        runs += runner.run_pending()
        clock.now += step
    during = queue.counts()
    fake_ollama.come_back()
    resumed_after = timedelta(0)
    while queue.counts()["done"] < jobs and resumed_after < timedelta(hours=1):
        runner.run_pending()
        clock.now += step
        resumed_after += step

    episodes = _episodes(SummaryStore(memory.store.engine))
    report(
        "summaries_outage",
        outage_min=10,
        jobs=jobs,
        runs_during_outage=runs,
        runs_per_job=f"{runs / jobs:.1f}",
        all_done_after_recovery_s=int(resumed_after.total_seconds()),
    )
    assert during == {"queued": jobs, "running": 0, "done": 0, "failed": 0}
    assert jobs <= runs <= jobs * 10  # backoff: a handful of tries per job, not one per 15 s step
    assert queue.counts() == {"queued": 0, "running": 0, "done": jobs, "failed": 0}
    assert {c for c, _kind, _key in episodes} == set(CHANNELS)  # nothing lost
    assert len(episodes) == len(set(episodes))  # nothing stored twice
    assert resumed_after <= 2 * outage  # doubling backoff (equal jitter): at most about twice the outage
