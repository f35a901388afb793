"""Malformed `message` events through ingestion (MessageIngestor + the real memory service, SQLite and
PostgreSQL), then a few through the real Bolt app over the emulator: nothing crashes, nothing unusable is
stored, and Kiok still answers afterwards. More examples with KIOK_SOAK=1."""

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from app.ingest import MessageIngestor
from memory.retrieval import RecallQuery
from memory.service import MemoryService
from tests.fakes.fake_ollama import FakeOllama

pytest_plugins = ["tests.e2e"]
SOAK = bool(os.environ.get("KIOK_SOAK"))
EXAMPLES = 1500 if SOAK else 120
TS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")

ODD_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "\ud83d",
            "e\u0301\u200d\u202e\ufeff",
            "🧑‍🚀" * 50,
            "\U0010ffff",
            "한국어 " * 20,
        ]
    ),
    st.integers(1, 6).map(lambda n: "x" * (10_000 * n - 1)),  # up to 60,000 characters
)
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    ODD_TEXT,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
TS_VALUE = st.one_of(
    st.integers(1_600_000_000, 1_800_000_000).map(lambda s: f"{s}.{s % 999_983:06d}"),
    st.integers(1_600_000_000, 1_800_000_000),
    st.sampled_from(["", "abc", "1e400", "nan", "-1.5", "１７００００００００.０", "1700000000.0000001"]),
    ANY_VALUE,
)
FILES = st.one_of(
    ANY_VALUE, st.lists(st.one_of(ANY_VALUE, st.fixed_dictionaries({}, optional={"title": ANY_VALUE})))
)


def message(**overrides: Any) -> st.SearchStrategy[dict[str, Any]]:
    optional = {
        "channel": st.one_of(st.sampled_from(["C0FUZZ", "D0FUZZ", "G0FUZZ"]), ANY_VALUE),
        "ts": TS_VALUE,
        "text": st.one_of(ODD_TEXT, ANY_VALUE),
        "user": st.one_of(st.sampled_from(["U0FUZZ", "W0FUZZ"]), ANY_VALUE),
        "thread_ts": TS_VALUE,
        "bot_id": ANY_VALUE,
        "subtype": st.one_of(st.sampled_from(["bot_message", "channel_join", "thread_broadcast"]), ANY_VALUE),
        "files": FILES,
        "edited": st.one_of(ANY_VALUE, st.fixed_dictionaries({"ts": TS_VALUE})),
    }
    for key in overrides:
        optional.pop(key, None)
    return st.fixed_dictionaries({"type": st.just("message"), **overrides}, optional=optional)


EVENTS = st.one_of(
    message(),
    message(subtype=st.just("message_changed"), message=st.one_of(ANY_VALUE, message())),
    message(
        subtype=st.just("message_deleted"),
        deleted_ts=TS_VALUE,
        previous_message=st.one_of(ANY_VALUE, message()),
    ),
)


def stored_rows(memory: MemoryService) -> list[tuple[str, str, str, str | None]]:
    with memory.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT channel_id, ts, text, thread_ts FROM messages"))
        return [(r[0], r[1], r[2] or "", r[3]) for r in rows]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(event=EVENTS)
def test_malformed_events_never_crash_ingestion(memory: MemoryService, event: dict[str, Any]) -> None:
    MessageIngestor(memory).handle("T0FUZZ", event)
    for channel, ts, body, thread_ts in stored_rows(memory):
        assert isinstance(channel, str) and channel, channel
        assert TS.fullmatch(ts), ts
        assert thread_ts is None or TS.fullmatch(thread_ts), thread_ts
        assert "\x00" not in body
        body.encode("utf-8")  # no lone surrogates


def test_fuzzed_messages_can_be_indexed_and_recalled(memory: MemoryService) -> None:
    """The hardest texts go through the embedder, the sparse encoder and the vector store, then recall."""
    ingest = MessageIngestor(memory)
    texts = [
        "x" * 40_000,
        "a\x00b\ud800c deploy",
        "e\u0301\u200d\u202e\ufeff deploy",
        "🧑‍🚀" * 500,
        "배포 " * 4000,
    ]
    for n, body in enumerate(texts):
        ingest.handle(
            "T0FUZZ",
            {"type": "message", "channel": "C0FUZZ", "user": "U1", "text": body, "ts": f"1700000000.{n:06d}"},
        )
    memory.indexer.index_pending()
    assert memory.store.count_pending_index(team_id="T0FUZZ") == 0
    query = memory.redactor.redact("deploy 배포 \ud800\x00").text  # as every caller passes a query
    hits = memory.recall(RecallQuery("T0FUZZ", "C0FUZZ", query))
    assert hits and all(h.channel == "C0FUZZ" for h in hits)


BOLT_EVENTS: list[tuple[str, Callable[[str, str], dict[str, Any]]]] = [
    ("no text", lambda ch, u: {"type": "message", "channel": ch, "user": u, "ts": "1700000001.000001"}),
    ("no channel", lambda ch, u: {"type": "message", "user": u, "text": "hi", "ts": "1700000001.000002"}),
    ("no ts", lambda ch, u: {"type": "message", "channel": ch, "user": u, "text": "hi"}),
    (
        "text is a list",
        lambda ch, u: {"type": "message", "channel": ch, "user": u, "text": ["x"], "ts": "1700000001.000003"},
    ),
    (
        "lone surrogate",
        lambda ch, u: {
            "type": "message",
            "channel": ch,
            "user": u,
            "text": "a\ud800b",
            "ts": "1700000001.000004",
        },
    ),
    (
        "40,000 characters",
        lambda ch, u: {
            "type": "message",
            "channel": ch,
            "user": u,
            "text": "y" * 40_000,
            "ts": "1700000001.000005",
        },
    ),
    ("garbage ts", lambda ch, u: {"type": "message", "channel": ch, "user": u, "text": "z", "ts": "abc"}),
    (
        "mention without channel",
        lambda ch, u: {"type": "app_mention", "user": u, "text": "<@BOT> hi", "ts": "1700000001.000006"},
    ),
    (
        "changed without message",
        lambda ch, u: {"type": "message", "subtype": "message_changed", "channel": ch},
    ),
    ("deleted without ts", lambda ch, u: {"type": "message", "subtype": "message_deleted", "channel": ch}),
]


@pytest.mark.e2e
def test_malformed_events_through_the_real_bolt_app(
    emulator: SlackEmulator, fake_ollama: FakeOllama, start_bot: Callable[..., Bot]
) -> None:
    bot = start_bot()
    alice = emulator.add_user(name="alice")
    channel = emulator.add_channel(name="fuzz", members=[alice])
    for _name, make in BOLT_EVENTS:
        event = make(channel, alice)
        if isinstance(event.get("text"), str):
            event["text"] = event["text"].replace("<@BOT>", f"<@{emulator.bot_user_id}>")
        event_id = emulator.deliver_event(event)
        emulator.wait_for(lambda eid=event_id: emulator.event_acked(eid), timeout=5)  # acked, not dropped
    store = bot.services.store
    usable = {"1700000001.000001", "1700000001.000003", "1700000001.000004", "1700000001.000005"}

    def stored() -> set[str]:
        with store.engine.connect() as conn:
            return {r[0] for r in conn.execute(text("SELECT ts FROM messages"))}

    emulator.wait_for(lambda: stored() >= usable, timeout=10)
    assert stored() == usable  # and nothing else
    odd = store.get_message(emulator.team_id, channel, "1700000001.000004")
    assert odd is not None and odd.text == "a?b"
    # Odd mentions posted by a person are answered in their threads; then a normal one still is.
    for body in ("q" * 39_990, "what \udfff now \x00?", "e\u0301\u202e\ufeff 🧑‍🚀" * 100):
        fake_ollama.enqueue("Answered.")
        asked = emulator.post_message(channel, alice, f"<@{emulator.bot_user_id}> {body}")
        emulator.wait_for(lambda a=asked: _replied(emulator, channel, a, "Answered."), timeout=20)
    fake_ollama.enqueue("Still here.")
    asked = emulator.post_message(channel, alice, f"<@{emulator.bot_user_id}> are you alive?")
    assert emulator.wait_for(lambda: _replied(emulator, channel, asked, "Still here."), timeout=20)
    prompts = [m["content"] for b in fake_ollama.bodies("/api/chat") for m in b["messages"]]
    assert prompts and not any("\x00" in p for p in prompts)


def _replied(emulator: SlackEmulator, channel: str, ts: str, text_: str) -> bool:
    return any(text_ in m.get("text", "") for m in emulator.thread(channel, ts)[1:])
