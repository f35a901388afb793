"""Summarization cost and accuracy on the synthetic workspace.

(a) LLM input tokens per ingested message token for a 30-day channel (target <= 1.5). The default model is
    a *null model*: an in-process LLMClient that answers every request with a minimal valid JSON object at
    once. Input cost is decided by Kiok's prompts and chunking, not by the model, so it is measured
    exactly; output cost is not (a real model writes more).
(b) With --llm-url (an OpenAI-compatible server, e.g. llama.cpp serving Gemma 3 270M), how many planted
    decisions, owners and due dates come out right in the decision list and brief, superseded ones marked.

    .venv/bin/python -m bench.summarizer_cost --days 30 --per-day 40
    .venv/bin/python -m bench.summarizer_cost --days 10 --per-day 20 --llm-url http://127.0.0.1:18080/v1
"""

import argparse
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import load_embedder, load_workspace, open_memory, settings_for
from bench.workspace import Workspace, generate
from summarizer.config import LLMSettings
from summarizer.llm import make_llm_client
from summarizer.llm.base import ChatMessage, ChatResult, LLMClient, ModelInfo
from summarizer.tokens import estimate_tokens

NULL_JSON = json.dumps(
    {
        "summary": "ok",
        "decisions": [],
        "action_items": [],
        "open_questions": [],
        "facts": [],
        "conventions": [],
        "answered_questions": [],
    }
)


class NullModel(LLMClient):
    """Answers instantly with the smallest valid answer; counts what it was sent (for input-cost runs)."""

    def __init__(self, context: int) -> None:
        self.context, self.calls, self.input_tokens = context, 0, 0

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        self.calls += 1
        sent = sum(estimate_tokens(m.content) for m in messages)
        self.input_tokens += sent
        return ChatResult(NULL_JSON if json_schema else "ok", sent, estimate_tokens(NULL_JSON))

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        yield self.chat(messages).text

    def model_info(self) -> ModelInfo:
        return ModelInfo("null", self.context)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=40)
    parser.add_argument("--context", type=int, default=8192, help="null model's context window")
    parser.add_argument("--llm-url", help="OpenAI-compatible server for a real-model run")
    parser.add_argument("--context-window", type=int, default=2048, help="the real model's window")
    args = parser.parse_args()

    ws = generate(days=args.days, per_day=args.per_day)
    embedder, _ = load_embedder("use")
    with tempfile.TemporaryDirectory() as tmp:
        memory = open_memory(Path(tmp), "use", embedder)
        load_workspace(memory, ws)
        llm: LLMClient
        if args.llm_url:
            llm = make_llm_client(
                LLMSettings(
                    provider="openai",
                    base_url=args.llm_url,
                    model="local",  # type: ignore[call-arg]
                    context_window=args.context_window,
                    idle_timeout=300,
                )
            )
        else:
            llm = NullModel(args.context)
        report(ws, memory, llm, settings_for(Path(tmp), "use"))


def report(ws: Workspace, memory: Any, llm: LLMClient, settings: Any) -> None:
    from app.bootstrap import build_summaries
    from memory.summaries import SummaryStore

    pipeline = build_summaries(settings, memory, llm=llm)
    end = max(float(m.ts) for m in ws.messages)
    from datetime import UTC, datetime

    now = datetime.fromtimestamp(end, UTC) + timedelta(days=8)
    started = time.perf_counter()
    jobs = 0
    for _ in range(3):  # threads and days, then the weeks built on them
        pipeline.planner.plan(now=now)
        jobs += pipeline.runner.run_pending()
    seconds = time.perf_counter() - started
    store = SummaryStore(memory.store.engine)
    print(f"workspace: {ws.summary()}")
    print(f"jobs run: {jobs} in {seconds:.1f} s; queue {pipeline.queue.counts()}")
    print("| channel | messages | message tokens | LLM input tokens | ratio | LLM output tokens |")
    print("|---|---|---|---|---|---|")
    for ch in ws.channels:
        texts = [m.text for m in ws.messages if m.channel == ch.id]
        if not texts:
            continue
        msg_tokens = sum(estimate_tokens(t) for t in texts)
        tokens_in, tokens_out = store.token_totals(ws.team, ch.id)
        ratio = tokens_in / msg_tokens
        name = ch.name or ch.id
        print(f"| {name} | {len(texts)} | {msg_tokens} | {tokens_in} | {ratio:.2f} | {tokens_out} |")
    accuracy(ws, store)


def accuracy(ws: Workspace, store: Any) -> None:
    """Planted decisions found in the decision list (by source message), and reversals marked superseded."""
    decisions = [q for q in ws.questions if q.kind in ("decision", "reversed")]
    owners = [q for q in ws.questions if q.kind == "owner"]
    deadlines = [q for q in ws.questions if q.kind == "deadline"]
    found = dict.fromkeys(("decision", "reversed", "owner", "deadline"), 0)
    for q in decisions + owners + deadlines:
        kinds = ["decision"] if q.kind in ("decision", "reversed") else ["action_item"]
        items = store.items(ws.team, q.channel, kinds=kinds, live_only=False)
        hit = [i for i in items if set(i.sources) & set(q.evidence)]
        if q.kind == "reversed":
            hit = [
                i for i in hit if i.superseded_by is None
            ]  # the live (new) decision, its predecessor marked
        if q.kind == "owner":
            hit = [i for i in hit if i.owner]
        if q.kind == "deadline":
            hit = [i for i in hit if i.due]
        found[q.kind] += bool(hit)
    totals = {"decision": 0, "reversed": 0, "owner": 0, "deadline": 0}
    for q in decisions + owners + deadlines:
        totals[q.kind] += 1
    print("| planted | found in decisions / action items |")
    print("|---|---|")
    for kind, total in totals.items():
        print(f"| {kind} | {found[kind]} / {total} |")


if __name__ == "__main__":
    main()
