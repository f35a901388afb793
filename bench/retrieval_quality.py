"""Retrieval quality on the synthetic workspace: evidence recall@5, recall@10 and MRR of memory recall,
hybrid (dense + sparse, RRF) against the dense-only and sparse-only baselines in the same process over
the same index, overall, per question language, per category, and cross-lingual (question in one
language, evidence in the other) apart. Each embedder gets a fresh memory service (SQLite + embedded
Qdrant engine in a temporary directory).

    .venv/bin/python -m bench.retrieval_quality --embedders minilm,use
    .venv/bin/python -m bench.retrieval_quality --embedders use --modes hybrid --summaries extractive

With --summaries, the workspace is then summarized (episodes and items indexed beside the messages) and
hybrid recall measured again: once letting a summary hit count for its source messages (as recall shows
them, with links), once counting only message hits (do summaries crowd evidence out of the top k?).
"""

import argparse
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import load_embedder, load_workspace, machine, open_memory, timed
from bench.workspace import Question, Workspace, generate
from memory.retrieval import RecallHit, RecallQuery
from memory.service import MemoryService
from memory.vectors.base import SearchMode

KINDS = ("fact", "decision", "reversed", "ticket", "id", "owner", "deadline")


@dataclass
class Scores:
    """Per-question evidence recall at 5 and 10, and reciprocal rank of the first evidence hit (≤ k)."""

    r5: list[float] = field(default_factory=list)
    r10: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)

    def add(self, evidence: Iterable[str], ranked: list[set[str]], messages: list[bool]) -> None:
        """`messages[i]`: hit i is a message. @N counts the first N message hits and the summaries ranked
        among them (summaries have their own quota, KIOK_MEMORY__RECALL_SUMMARIES)."""
        wanted = set(evidence)
        found5 = set().union(*ranked[: _cut(messages, 5)]) & wanted if ranked else set()
        found10 = set().union(*ranked[: _cut(messages, 10)]) & wanted if ranked else set()
        self.r5.append(len(found5) / len(wanted))
        self.r10.append(len(found10) / len(wanted))
        rank = next((i for i, hit in enumerate(ranked, 1) if hit & wanted), None)
        self.rr.append(1 / rank if rank else 0.0)

    def row(self) -> str:
        n = len(self.rr) or 1
        return f"{sum(self.r5) / n:5.3f} {sum(self.r10) / n:5.3f} {sum(self.rr) / n:5.3f}"


def _cut(messages: list[bool], n: int) -> int:
    """How many hits come before the (n+1)-th message hit."""
    seen = 0
    for i, is_message in enumerate(messages):
        seen += is_message
        if seen > n:
            return i
    return len(messages)


def groups(q: Question, replies: set[tuple[str, str]]) -> list[str]:
    """The table rows a question counts in (`replies`: the (channel, ts) of thread replies)."""
    if q.cross:
        return ["all", "cross-lingual (all)", f"cross {q.lang}->{q.evidence_lang}"]
    style = "paraphrased" if q.paraphrase else "direct"
    where = "a thread reply" if (q.channel, q.evidence[0]) in replies else "top-level"
    return ["all", "same-language (all)", f"lang={q.lang}", style, f"{style} {q.lang}",
            f"evidence in {where}", f"kind={q.kind}", f"kind={q.kind} {q.lang}"]  # fmt: skip


def ranked_sources(hits: list[RecallHit]) -> list[set[str]]:
    return [{h.ts, *h.sources} for h in hits]


def evaluate(
    memory: MemoryService, ws: Workspace, modes: tuple[SearchMode, ...], k: int, *, strict: bool = False
) -> tuple[dict[str, dict[str, Scores]], dict[str, list[Question]]]:
    """Scores per mode per group; and, per mode, the same-language questions it missed at 10. `strict`:
    only message hits count (a summary hit takes a slot but proves nothing)."""
    table: dict[str, dict[str, Scores]] = {m: defaultdict(Scores) for m in modes}
    misses: dict[str, list[Question]] = defaultdict(list)
    replies = {(m.channel, m.ts) for m in ws.messages if m.thread_ts and m.thread_ts != m.ts}
    for q in ws.questions:
        query = RecallQuery(ws.team, q.channel, q.query, k=k)
        for mode in modes:
            recall: Callable[[RecallQuery], list[RecallHit]]
            if mode == "hybrid":
                recall = memory.recall  # the product's path: MemoryService.recall is hybrid
            else:
                recall = lambda rq, mode=mode: memory.recaller.recall(rq, mode=mode)  # noqa: E731
            hits = recall(query)
            ranked = ranked_sources(hits)
            if strict:
                ranked = [r if h.kind == "message" else set() for h, r in zip(hits, ranked, strict=True)]
            for g in groups(q, replies):
                table[mode][g].add(q.evidence, ranked, [h.kind == "message" for h in hits])
            if not any(
                hit & set(q.evidence) for hit in ranked[: _cut([h.kind == "message" for h in hits], 10)]
            ):
                misses[mode].append(q)
    return table, misses


def row_order(ws: Workspace) -> list[str]:
    rows = ["all", "same-language (all)", "lang=en", "lang=ko", "direct", "direct en", "direct ko"]
    rows += ["paraphrased", "paraphrased en", "paraphrased ko", "evidence in top-level"]
    rows += ["evidence in a thread reply"]
    rows += ["cross-lingual (all)", "cross en->ko", "cross ko->en"]
    for kind in KINDS:
        rows += [f"kind={kind}", f"kind={kind} en", f"kind={kind} ko"]
    return rows


def print_table(name: str, table: dict[str, dict[str, Scores]], ws: Workspace) -> None:
    modes = list(table)
    head = " | ".join(f"{m + ' R@5 R@10  MRR':>17}" for m in modes)
    print(f"\n{name}: evidence recall@5, recall@10, MRR (k=10)\n{'group':<24} {'n':>4} | {head}")
    first = table[modes[0]]
    for g in row_order(ws):
        if g not in first:
            continue
        cells = " | ".join(f"{table[m][g].row():>17}" for m in modes)
        print(f"{g:<24} {len(first[g].rr):>4} | {cells}")


def markdown(name: str, table: dict[str, dict[str, Scores]], ws: Workspace) -> str:
    modes = list(table)
    out = [f"| {name} | n | " + " | ".join(f"{m} R@5 | {m} R@10 | {m} MRR" for m in modes) + " |"]
    out.append("|---|---:|" + "---:|" * (3 * len(modes)))
    for g in row_order(ws):
        if g in table[modes[0]] and not (g.startswith("kind=") and " " in g):
            cells = " | ".join(" | ".join(table[m][g].row().split()) for m in modes)
            out.append(f"| {g} | {len(table[modes[0]][g].rr)} | {cells} |")
    return "\n".join(out)


def summarize_all(memory: MemoryService, ws: Workspace, name: str, how: str, recall: dict[str, int]) -> str:
    """Summarize the whole workspace as `kiok summarize --wait` would (threads, days, then weeks) with the
    deterministic extractive model or the OpenAI-compatible server at `how`, and index the summaries."""
    from datetime import UTC, datetime, timedelta

    from app.bootstrap import build_summaries
    from bench.common import settings_for
    from bench.summarizer_cost import ExtractiveModel
    from summarizer.config import LLMSettings
    from summarizer.llm import make_llm_client
    from summarizer.llm.base import LLMClient

    llm: LLMClient
    if how == "extractive":
        llm, described = ExtractiveModel(8192, 0), "the deterministic extractive model"
    else:
        settings = LLMSettings(
            provider="openai", base_url=how, model="local", context_window=2048, idle_timeout=300
        )  # type: ignore[call-arg]
        llm, described = make_llm_client(settings), f"the model at {how}"
    pipeline = build_summaries(
        settings_for(Path(memory.store.engine.url.database or ".").parent, name, recall), memory, llm=llm
    )
    later = datetime.fromtimestamp(max(float(m.ts) for m in ws.messages), UTC) + timedelta(days=8)
    for _ in range(3):  # segments, then the weeks built on them
        pipeline.planner.plan(now=later, flush=True)
        pipeline.runner.run_pending()
    memory.indexer.index_pending()
    return described


def run_embedder(
    name: str,
    ws: Workspace,
    modes: tuple[SearchMode, ...],
    k: int,
    show: int,
    recall: dict[str, int],
    summaries: str = "none",
) -> str:
    embedder, load_s = load_embedder(name)
    with tempfile.TemporaryDirectory(prefix=f"kiok-quality-{name}-") as tmp:
        memory = open_memory(Path(tmp), name, embedder, recall)
        try:
            with timed() as t_ingest:
                load_workspace(memory, ws)
            with timed() as t_index:
                stats = memory.indexer.index_pending()
            print(
                f"\n[{name}] {embedder.model_id} dim {embedder.dimension}: load {load_s:.1f} s, ingest "
                f"{t_ingest.seconds:.1f} s, index {stats.indexed} msgs in {t_index.seconds:.1f} s "
                f"(embedding {stats.embed_seconds:.1f} s)"
            )
            with timed() as t_eval:
                table, misses = evaluate(memory, ws, modes, k)
            n = len(ws.questions) * len(modes)
            print(f"[{name}] {n} recalls in {t_eval.seconds:.1f} s ({t_eval.seconds / n * 1e3:.1f} ms each)")
            print_table(name, table, ws)
            if summaries != "none":
                with timed() as t_sum:
                    described = summarize_all(memory, ws, name, summaries, recall)
                print(
                    f"\n[{name}] summarized with {described} in {t_sum.seconds:.1f} s, indexed with messages"
                )
                with_summaries, _ = evaluate(memory, ws, modes[:1], k)
                strict, _ = evaluate(memory, ws, modes[:1], k, strict=True)
                print_table(f"{name} messages only", {m: table[m] for m in modes[:1]}, ws)
                print_table(
                    f"{name} + summaries (a summary hit counts for its source messages)", with_summaries, ws
                )
                print_table(f"{name} + summaries (only message hits count)", strict, ws)
            for mode in modes[:1]:
                same = [q for q in misses[mode] if not q.cross]
                print(
                    f"\n[{name}] {mode}: {len(same)} same-language questions without evidence in the top 10"
                )
                for q in same[:show]:
                    print(f"  - [{q.kind}/{q.lang} {q.channel}] {q.query}")
            return markdown(name, table, ws)
        finally:
            memory.indexer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--embedders", default="minilm,use", help="comma list of: minilm, use")
    parser.add_argument("--modes", default="hybrid,dense,sparse", help="hybrid first; dense is the baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=40, help="messages per weekday")
    parser.add_argument("-k", type=int, default=10, help="hits per recall (metrics use the top 5 and 10)")
    parser.add_argument("--show-misses", type=int, default=10, help="list this many hybrid misses")
    parser.add_argument("--rrf-k", type=int, default=0, help="override MemorySettings.rrf_k (0: default)")
    parser.add_argument("--candidates", type=int, default=0, help="override MemorySettings.candidates")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as markdown")
    parser.add_argument(
        "--summaries",
        default="none",
        help="also measure with summaries indexed beside the messages: 'extractive' (deterministic stand-in "
        "model) or the URL of an OpenAI-compatible server",
    )
    args = parser.parse_args()
    modes: tuple[SearchMode, ...] = tuple(args.modes.split(","))  # type: ignore[assignment]
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    ws = generate(args.seed, days=args.days, per_day=args.per_day)
    print(f"workspace (seed {args.seed}): {ws.summary()}")
    recall = {key: value for key, value in (("rrf_k", args.rrf_k), ("candidates", args.candidates)) if value}
    if recall:
        print(f"recall settings changed from the defaults: {recall}")
    tables = [
        run_embedder(e, ws, modes, args.k, args.show_misses, recall, args.summaries)
        for e in args.embedders.split(",")
    ]
    if args.markdown:
        print("\n" + "\n\n".join(tables))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
