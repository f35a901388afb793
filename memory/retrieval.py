"""Recall: hybrid (dense + BM25-style sparse, fused by reciprocal rank) search over memory, scoped to
what the asker's conversation may see, joined back to SQL so hits carry the exact stored text."""

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from memory.config import MemorySettings
from memory.embeddings.base import Embedder
from memory.policies import PolicyStore
from memory.sparse import SparseEncoder
from memory.store import MessageStore
from memory.summary_index import SUMMARY_KINDS, SummaryIndex
from memory.vectors.base import ScopeFilter, SearchMode, SparseVector, VectorHit, VectorStore


@dataclass(frozen=True)
class RecallQuery:
    """A search made from conversation `channel`. Optional filters narrow it further."""

    team_id: str
    channel: str
    text: str
    k: int | None = None
    thread: str | None = None
    author: str | None = None
    since: float | None = None
    until: float | None = None
    include_shared: bool = True


@dataclass(frozen=True)
class RecallHit:
    kind: str
    text: str
    channel: str
    ts: str
    thread_ts: str | None
    author: str
    sources: tuple[str, ...]
    score: float

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "text": self.text,
            "channel": self.channel,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "author": self.author,
            "sources": list(self.sources),
            "score": round(self.score, 6),
        }


@dataclass
class RecallTimings:
    embed_ms: float = 0.0
    search_ms: float = 0.0
    join_ms: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


class Recaller:
    """Answers `recall(query)`; never returns memory from a conversation the query may not see."""

    def __init__(
        self,
        *,
        store: MessageStore,
        policies: PolicyStore,
        embedder: Embedder,
        vectors: VectorStore,
        sparse: SparseEncoder,
        settings: MemorySettings,
        summaries: SummaryIndex | None = None,
    ) -> None:
        self._summaries = summaries
        self._store, self._policies = store, policies
        self._embedder, self._vectors, self._sparse, self._settings = embedder, vectors, sparse, settings
        self.last_timings = RecallTimings()

    def visible_channels(self, team_id: str, channel: str, *, include_shared: bool = True) -> tuple[str, ...]:
        """The conversation itself, plus public channels an admin shared with the whole workspace."""
        shared = self._policies.shared_public_channels(team_id) if include_shared else []
        return (channel, *[c for c in shared if c != channel])

    def recall(self, query: RecallQuery, *, mode: SearchMode = "hybrid") -> list[RecallHit]:
        k = query.k or self._settings.recall_k
        extra = self._settings.recall_summaries if self._summaries is not None else 0
        scope = ScopeFilter(
            team=query.team_id,
            channels=self.visible_channels(query.team_id, query.channel, include_shared=query.include_shared),
            thread=query.thread,
            author=query.author,
            ts_from=query.since,
            ts_to=query.until,
        )
        t0 = time.perf_counter()
        dense = self._embedder.embed_query(query.text).tolist() if mode != "sparse" else None
        sparse = self._sparse.encode_query(query.text) if mode != "dense" else None
        t1 = time.perf_counter()
        # Messages and summaries are ranked by separate searches: a summary can neither take a message's
        # place nor shift the messages' fused ranks (summaries have their own quota, `recall_summaries`).
        raw = self._search(dense, sparse, replace(scope, kinds=("message",)), k, mode)
        if extra:
            raw += self._search(dense, sparse, replace(scope, kinds=SUMMARY_KINDS), extra, mode)
        t2 = time.perf_counter()
        hits = self._join(query.team_id, raw, scope)
        t3 = time.perf_counter()
        self.last_timings = RecallTimings((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3)
        messages = _collapse([h for h in hits if h.kind == "message"])[:k]
        # A summary that repeats a message shown anyway is dropped, not the message.
        summaries = _collapse(messages + [h for h in hits if h.kind != "message"])[len(messages) :][:extra]
        return sorted(messages + summaries, key=lambda h: (-round(h.score, 9), -float(h.ts)))

    def _search(
        self,
        dense: list[float] | None,
        sparse: SparseVector | None,
        scope: ScopeFilter,
        n: int,
        mode: SearchMode,
    ) -> list[VectorHit]:
        return self._vectors.search(
            dense=dense,
            sparse=sparse,
            scope=scope,
            limit=n * 3,
            mode=mode,
            rrf_k=self._settings.rrf_k,
            candidates=max(self._settings.candidates, n * 3),
        )

    def _join(self, team_id: str, raw: Sequence[VectorHit], scope: ScopeFilter) -> list[RecallHit]:
        """Attach the stored text; drop anything SQL no longer has or that lies outside the scope."""
        messages = [h for h in raw if h.payload.get("kind", "message") == "message"]
        keys = [(str(h.payload.get("channel")), _ts_key(h)) for h in messages]
        rows = self._store.messages_by_ts(team_id, keys)
        hits = self._join_summaries([h for h in raw if h.payload.get("kind", "message") != "message"], scope)
        for hit, key in zip(messages, keys, strict=True):
            row = rows.get(key)
            if row is None or row.channel_id not in scope.channels:
                continue
            hits.append(
                RecallHit(
                    kind=str(hit.payload.get("kind", "message")),
                    text=row.text,
                    channel=row.channel_id,
                    ts=row.ts,
                    thread_ts=row.thread_ts,
                    author=row.user_id,
                    sources=tuple(str(s) for s in hit.payload.get("sources") or [row.ts]),
                    score=hit.score,
                )
            )
        # Recency breaks ties: equal fused scores (common with RRF) favour the newer memory.
        hits.sort(key=lambda h: (-round(h.score, 9), -float(h.ts)))
        return hits

    def _join_summaries(self, raw: Sequence[VectorHit], scope: ScopeFilter) -> list[RecallHit]:
        if self._summaries is None or not raw:
            return []
        refs = [(str(h.payload.get("kind")), int(h.payload.get("ref", 0))) for h in raw]
        texts = self._summaries.texts_by_ref(refs)
        hits = []
        for hit, ref in zip(raw, refs, strict=True):
            found = texts.get(ref)
            channel = str(hit.payload.get("channel"))
            if found is None or channel not in scope.channels:
                continue
            text, ts, thread = found
            sources = tuple(str(s) for s in hit.payload.get("sources") or ())
            hits.append(RecallHit(ref[0], text, channel, ts, thread, "", sources, hit.score))
        return hits


def _ts_key(hit: VectorHit) -> str:
    sources = hit.payload.get("sources") or []
    return str(sources[0]) if sources else f"{float(hit.payload.get('ts', 0)):.6f}"


_WORDS = re.compile(r"\w+", re.UNICODE)


def _collapse(hits: list[RecallHit], threshold: float = 0.9) -> list[RecallHit]:
    """Drop near-duplicates (reposts, quoted copies): token-set Jaccard above `threshold` with a
    better-ranked hit."""
    kept: list[tuple[RecallHit, set[str]]] = []
    for hit in hits:
        tokens = set(_WORDS.findall(hit.text.lower()))
        if any(_jaccard(tokens, other) >= threshold for _, other in kept):
            continue
        kept.append((hit, tokens))
    return [h for h, _ in kept]


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


__all__ = ["RecallHit", "RecallQuery", "RecallTimings", "Recaller"]
