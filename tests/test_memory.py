"""The memory service end to end on real parts: SQL, the bundled MiniLM, the embedded Qdrant engine."""

from datetime import UTC, datetime, timedelta

from memory.embeddings.base import Embedder, Vectors
from memory.records import ChannelRecord, MessageRecord
from memory.retrieval import RecallQuery
from memory.service import MemoryService

T = "T1"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def ts(minutes: float) -> str:
    return f"{(NOW + timedelta(minutes=minutes)).timestamp():.6f}"


def msg(
    channel: str, minute: float, text: str, user: str = "U1", thread: float | None = None
) -> MessageRecord:
    return MessageRecord(
        team_id=T,
        channel_id=channel,
        ts=ts(minute),
        text=text,
        user_id=user,
        thread_ts=ts(thread) if thread is not None else None,
    )


def seed(memory: MemoryService) -> None:
    memory.directory.upsert_channel(ChannelRecord(T, "C1", "release", "channel", False))
    memory.directory.upsert_channel(ChannelRecord(T, "C2", "random", "channel", False))
    memory.directory.upsert_channel(ChannelRecord(T, "G1", "secret-acquisition", "group", True))
    memory.ingest(
        [
            msg("C1", 0, "Release planning for v2.3 starts now", thread=0),
            msg("C1", 1, "The login bug is tracked as PROJ-482", "U2", thread=0),
            msg("C1", 2, "We decided to ship v2.3 on Friday after QA signs off", thread=0),
            msg("C1", 3, "Lunch options near the office: ramen or tacos", "U3"),
            msg("C1", 4, "배포는 금요일 오후로 확정했어요", "U2"),
            msg("C2", 5, "Anyone up for table tennis?", "U3"),
            msg("G1", 6, "Canary: we are acquiring Globex for 40 million, ship date Friday", "U4"),
        ]
    )
    memory.indexer.index_pending()


def texts(memory: MemoryService, channel: str, query: str, k: int = 3) -> list[str]:
    return [h.text for h in memory.recall(RecallQuery(T, channel, query, k=k))]


def test_recall_finds_facts_with_their_sources(memory: MemoryService) -> None:
    seed(memory)
    hits = memory.recall(RecallQuery(T, "C1", "what did we decide about shipping v2.3?", k=3))
    assert hits[0].text == "We decided to ship v2.3 on Friday after QA signs off"
    assert hits[0].sources == (ts(2),) and hits[0].thread_ts == ts(0) and hits[0].channel == "C1"
    assert texts(memory, "C1", "PROJ-482", k=1) == ["The login bug is tracked as PROJ-482"]


def test_korean_text_is_found_by_its_stem(memory: MemoryService) -> None:
    seed(memory)  # MiniLM is English-only: the lexical side (Hangul bigrams) must carry this
    assert texts(memory, "C1", "배포 언제 해요?", k=1) == ["배포는 금요일 오후로 확정했어요"]


def test_private_channel_never_leaks_into_another_conversation(memory: MemoryService) -> None:
    seed(memory)
    probes = ["Globex acquisition", "Canary", "40 million", "ship date Friday", "secret"]
    for channel in ("C1", "C2"):
        for probe in probes:
            assert not any("Globex" in t for t in texts(memory, channel, probe, k=10)), (channel, probe)
    memory.policies.update(T, "G1", shared=True)  # even a mistaken admin flag cannot share a private channel
    assert not any("Globex" in t for t in texts(memory, "C2", "Globex acquisition", k=10))
    assert any("Globex" in t for t in texts(memory, "G1", "Globex acquisition", k=10))


def test_shared_public_channel_is_visible_elsewhere_only_when_opted_in(memory: MemoryService) -> None:
    seed(memory)
    assert "Anyone up for table tennis?" not in texts(memory, "C1", "table tennis", k=10)
    memory.policies.update(T, "C2", shared=True)
    assert "Anyone up for table tennis?" in texts(memory, "C1", "table tennis", k=10)


def test_filters_thread_author_and_time(memory: MemoryService) -> None:
    seed(memory)
    in_thread = memory.recall(RecallQuery(T, "C1", "release", k=10, thread=ts(0)))
    assert {h.ts for h in in_thread} <= {ts(0), ts(1), ts(2)} and in_thread
    by_author = memory.recall(RecallQuery(T, "C1", "release bug lunch", k=10, author="U2"))
    assert {h.author for h in by_author} == {"U2"}
    late = memory.recall(RecallQuery(T, "C1", "release lunch bug", k=10, since=float(ts(2.5))))
    assert late and all(float(h.ts) >= float(ts(2.5)) for h in late)


def test_edits_are_reindexed_and_deletions_vanish(memory: MemoryService) -> None:
    seed(memory)
    memory.ingest([msg("C1", 3, "Lunch moved: we now go for bibimbap", "U3")])
    memory.indexer.index_pending()
    assert texts(memory, "C1", "bibimbap", k=1) == ["Lunch moved: we now go for bibimbap"]
    assert not any("tacos" in t for t in texts(memory, "C1", "tacos ramen", k=10))
    memory.delete_message(T, "C1", ts(3))
    assert not any("bibimbap" in t for t in texts(memory, "C1", "bibimbap", k=10))


def test_forget_thread_user_and_channel(memory: MemoryService) -> None:
    seed(memory)
    assert memory.forget(T, channel_id="C1", thread_ts=ts(0)).messages == 3
    assert not any("PROJ-482" in t for t in texts(memory, "C1", "PROJ-482 login bug", k=10))
    assert memory.forget(T, user_id="U2").messages == 1  # the Korean message
    assert memory.store.count_messages(T, "C1") == 1
    assert memory.forget(T, channel_id="C1").messages == 1
    assert texts(memory, "C1", "lunch", k=10) == []
    assert memory.store.count_messages(T, "C2") == 1  # other channels untouched


def test_opt_out_erases_and_stops_storing(memory: MemoryService) -> None:
    seed(memory)
    assert memory.opt_out(T, "U3").messages == 2
    memory.ingest([msg("C1", 10, "U3 writes again about pizza", "U3")])
    assert memory.store.count_messages(T) == 5
    memory.opt_in(T, "U3")
    memory.ingest([msg("C1", 11, "back in: pizza", "U3")])
    assert memory.store.count_messages(T) == 6


def test_retention_erases_only_old_memory_of_that_channel(memory: MemoryService) -> None:
    seed(memory)
    memory.policies.update(T, "C1", retention_days=1)
    erased = memory.apply_retention(now=NOW + timedelta(days=1, minutes=2, seconds=30))
    assert erased == 3  # minutes 0, 1, 2 are older than a day; 3 and 4 are not
    assert memory.store.count_messages(T, "C1") == 2 and memory.store.count_messages(T, "G1") == 1


class CountingEmbedder(Embedder):
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(model_id=inner.model_id)
        self.inner, self.embedded = inner, 0

    def _encode(self, texts: list[str]) -> Vectors:  # type: ignore[override]
        self.embedded += len(texts)
        return self.inner._encode(texts)


def test_reingesting_never_reembeds(memory: MemoryService, embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    memory.indexer._embedder = counting  # the service's own indexer, counting its real embedder's calls
    seed(memory)
    first = counting.embedded
    seed(memory)
    assert counting.embedded == first
    memory.ingest([msg("C1", 3, "Lunch: ramen it is", "U3")])
    memory.indexer.index_pending()
    assert counting.embedded == first + 1


def test_reindex_restores_identical_results(memory: MemoryService) -> None:
    seed(memory)
    queries = ["ship date", "PROJ-482", "배포", "lunch"]
    before = [[(h.ts, h.score) for h in memory.recall(RecallQuery(T, "C1", q, k=5))] for q in queries]
    memory.indexer.rebuild()
    assert memory.indexer.point_count() == 0
    memory.store.clear_index_hashes()
    assert memory.indexer.index_pending().indexed == 7
    after = [[(h.ts, h.score) for h in memory.recall(RecallQuery(T, "C1", q, k=5))] for q in queries]
    assert [[t for t, _ in hits] for hits in after] == [[t for t, _ in hits] for hits in before]
