"""Summarization cost, freshness and accuracy on the synthetic workspace, replayed in simulated time.

Messages arrive in timestamp order; every `--tick-minutes` of simulated time the planner runs (as the
bot's scheduler does) and the queued jobs run, until a week after the last message. So batches form
exactly as they would live: when a channel's ready text reaches `batch_min_tokens` or its oldest ready
segment has waited `batch_max_wait_hours`.

(a) LLM input tokens per ingested message token (target <= 1.5), every call counted (batches, their
    repairs and merges, week roll-ups; the brief is rendered by code), and the same after a one-slot
    prompt cache (what llama.cpp/Ollama must process when a call shares its prefix with the previous one).
    The model is an in-process stand-in that answers at once with a schema-valid object, so input cost is
    exact: `--model extractive` (default) records decisions and tasks as a model would, so later calls list
    them; `--model null` records nothing (the lower bound). Also printed: for each planted reversal, whether
    the decision it reverses was listed in the call that read it (a model can only mark what it is shown).
(b) Freshness: hours from a segment's last message to its episode being stored (p50, p95, max).
(c) With --llm-url (an OpenAI-compatible server, e.g. llama.cpp serving Gemma 3 270M), the same with a
    real model, and how many planted decisions, owners and due dates come out right.

    .venv/bin/python -m bench.summarizer_cost --days 30 --per-day 40
    .venv/bin/python -m bench.summarizer_cost --days 5 --per-day 15 --llm-url http://127.0.0.1:18080/v1
"""

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import load_directory, load_embedder, open_memory, percentile, record, settings_for
from bench.workspace import Workspace, generate
from summarizer.config import LLMSettings
from summarizer.llm import make_llm_client
from summarizer.llm.base import ChatMessage, ChatResult, LLMClient, ModelInfo
from summarizer.schemas import batch_segment_ids
from summarizer.tokens import estimate_tokens

CHAT_TEMPLATE_TOKENS = 5  # Gemma's `<start_of_turn>user\n … <end_of_turn>\n` around each message


def gguf_tokenizer(path: str) -> Callable[[str], int]:
    """Token counts from a GGUF model's own vocabulary (llama-cpp-python, vocabulary only: no weights)."""
    from llama_cpp import Llama

    model = Llama(model_path=path, vocab_only=True, verbose=False)
    return lambda text: len(model.tokenize(text.encode(), add_bos=False, special=False))


FILLER = ("the", "team", "discussed", "the", "release", "plan", "and", "agreed", "on", "owners", "dates")


class NullModel(LLMClient):
    """Answers instantly with the smallest valid answer (a `words`-word summary per segment)."""

    def __init__(self, context: int, words: int) -> None:
        self.context, self.words = context, words

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        summary = " ".join(FILLER[i % len(FILLER)] for i in range(self.words)) + "."
        if json_schema is None:
            text = summary
        else:
            ids = batch_segment_ids(json_schema) if "segments" in json_schema.get("properties", {}) else []
            text = json.dumps(
                {
                    "summary": summary,
                    "overview": summary,
                    "segments": [{"id": i, "summary": summary} for i in ids],
                }
            )
        return ChatResult(text, sum(estimate_tokens(m.content) for m in messages), estimate_tokens(text))

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


class ExtractiveModel(NullModel):
    """A deterministic stand-in for a capable model (retrieval benchmarks): each segment is summarized
    by its first message, decisions are lines that say "decid…/결정/확정", tasks lines that say "action
    item/will/맡기로", owned by their author. No model, but summaries that carry the channel's words."""

    LINE = re.compile(r"^(\d+)\. ([^:]+): (.*)$", re.M)
    DECISION = re.compile(r"decid|decision|결정|확정", re.I)
    TASK = re.compile(r"action item|\bwill\b|맡기로|하기로", re.I)

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        user = messages[-1].content
        sent = sum(estimate_tokens(m.content) for m in messages)
        if json_schema is None or "segments" not in json_schema.get("properties", {}):
            text = " ".join(user.split()[:40])
            return ChatResult(text, sent, estimate_tokens(text))
        body = user.split("<messages>\n", 1)[-1]
        blocks = re.split(r"^\[(S\d+)[^\]]*\]\n", body, flags=re.M)[1:]
        firsts = {}
        for sid, block in zip(blocks[::2], blocks[1::2], strict=True):
            line = self.LINE.search(block)
            firsts[sid] = " ".join(line.group(3).split()[:25]) if line else ""
        lines = self.LINE.findall(body)
        answer = {
            "segments": [{"id": i, "summary": firsts.get(i, "")} for i in batch_segment_ids(json_schema)],
            "overview": " ".join(list(firsts.values())[:2])[:300],
            "decisions": [
                {"text": t[:200], "source": [int(n)]} for n, _, t in lines if self.DECISION.search(t)
            ],
            "action_items": [
                {"text": t[:200], "owner": who, "source": [int(n)]}
                for n, who, t in lines
                if self.TASK.search(t)
            ],
        }
        text = json.dumps(answer, ensure_ascii=False)
        return ChatResult(text, sent, estimate_tokens(text))


class Counting(LLMClient):
    """Counts every call and its input: our estimate of what was sent, and what the server reported."""

    def __init__(self, inner: LLMClient, *, log: bool = False) -> None:
        self.inner, self.calls, self.sent, self.reported, self.seconds = inner, 0, 0, 0, 0.0
        self.log, self.prompts, self.fresh, self._last = log, [], 0, ""
        self.count: Callable[[str], int] | None = None  # the model's tokenizer, when given
        self.counted = 0

    def _uncached(self, prompt: str) -> int:
        """Tokens a server with a one-slot prompt cache (llama.cpp `cache_prompt`, Ollama) must process:
        the prompt after its common prefix with the previous call's."""
        same = 0
        for a, b in zip(prompt, self._last, strict=False):
            if a != b:
                break
            same += 1
        self._last = prompt
        return estimate_tokens(prompt[same:])

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        started = time.perf_counter()
        result = self.inner.chat(
            messages, max_tokens=max_tokens, temperature=temperature, json_schema=json_schema
        )
        self.seconds += time.perf_counter() - started
        self.calls += 1
        sent = sum(estimate_tokens(m.content) for m in messages)
        self.sent += sent
        self.fresh += self._uncached("\n".join(m.content for m in messages))
        if self.count is not None:
            self.counted += sum(self.count(m.content) + CHAT_TEMPLATE_TOKENS for m in messages)
        self.prompts.append(messages[-1].content)
        self.reported += result.prompt_tokens
        if self.log:  # progress of slow real-model runs, one line per call
            print(
                f"call {self.calls}: {sent} tokens sent ({result.prompt_tokens} reported), "
                f"{result.completion_tokens} out, {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        return result

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        return self.inner.stream_chat(messages, max_tokens=max_tokens, temperature=temperature)

    def model_info(self) -> ModelInfo:
        return self.inner.model_info()

    def count_tokens(self, texts: Sequence[str]) -> list[int] | None:
        return self.inner.count_tokens(texts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=40)
    parser.add_argument("--context", type=int, default=8192, help="null model's context window")
    parser.add_argument("--summary-words", type=int, default=15, help="null model: words per segment summary")
    parser.add_argument("--tick-minutes", type=int, default=60, help="simulated time between planner runs")
    parser.add_argument(
        "--min-tokens", type=int, help="KIOK_SUMMARY__BATCH_MIN_TOKENS (default: the setting's)"
    )
    parser.add_argument("--max-wait-hours", type=float, help="KIOK_SUMMARY__BATCH_MAX_WAIT_HOURS")
    parser.add_argument("--live-items", type=int, help="KIOK_SUMMARY__LIVE_ITEMS")
    parser.add_argument("--max-output", type=int, help="KIOK_SUMMARY__MAX_OUTPUT_TOKENS")
    parser.add_argument(
        "--model",
        choices=("null", "extractive"),
        default="extractive",
        help="in-process stand-in: 'extractive' records decisions and tasks (so later calls list them), "
        "'null' records nothing",
    )
    parser.add_argument("--llm-url", help="OpenAI-compatible server for a real-model run")
    parser.add_argument(
        "--tokenizer",
        help="a GGUF file whose tokenizer also counts both sides (e.g. Gemma 3 270M's, see README 'Tests')",
    )
    parser.add_argument("--channel", help="keep only this channel's messages (short real-model runs)")
    parser.add_argument("--context-window", type=int, default=2048, help="the real model's window")
    args = parser.parse_args()

    ws = generate(days=args.days, per_day=args.per_day)
    if args.channel:
        kept = {c.id for c in ws.channels if c.name == args.channel}
        if not kept:
            raise SystemExit(
                f"no channel {args.channel!r}: {', '.join(c.name for c in ws.channels if c.name)}"
            )
        ws.messages = [m for m in ws.messages if m.channel in kept]
        ws.questions = [q for q in ws.questions if q.channel in kept]
    embedder, _ = load_embedder("use")
    overrides = {
        name: value
        for name, value in (
            ("batch_min_tokens", args.min_tokens),
            ("batch_max_wait_hours", args.max_wait_hours),
            ("live_items", args.live_items),
            ("max_output_tokens", args.max_output),
        )
        if value is not None
    }
    with tempfile.TemporaryDirectory() as tmp:
        memory = open_memory(Path(tmp), "use", embedder)
        base = settings_for(Path(tmp), "use")
        settings = base.model_copy(update={"summary": base.summary.model_copy(update=overrides)})
        inner: LLMClient
        if args.llm_url:
            inner = make_llm_client(
                LLMSettings(
                    provider="openai",
                    base_url=args.llm_url,
                    model="local",  # type: ignore[call-arg]
                    context_window=args.context_window,
                    idle_timeout=300,
                )
            )
        else:
            stand_in = ExtractiveModel if args.model == "extractive" else NullModel
            inner = stand_in(args.context, args.summary_words)
        shown = {"batch_min_tokens", "batch_max_wait_hours", "live_items", "max_output_tokens"}
        print(f"settings: {settings.summary.model_dump(include=shown)}")
        llm = Counting(inner, log=bool(args.llm_url))
        if args.tokenizer:
            llm.count = gguf_tokenizer(args.tokenizer)
        report(ws, memory, llm, settings, timedelta(minutes=args.tick_minutes))


def replay(ws: Workspace, memory: Any, pipeline: Any, tick: timedelta) -> tuple[int, list[float]]:
    """Ingest in time order and tick the planner; returns jobs run and each episode's lag in hours."""
    from memory.summaries import SummaryStore

    store = SummaryStore(memory.store.engine)
    load_directory(memory, ws)
    pending = sorted(ws.messages, key=lambda m: float(m.ts))
    now = datetime.fromtimestamp(float(pending[0].ts), UTC)
    end = datetime.fromtimestamp(float(pending[-1].ts), UTC) + timedelta(days=8)
    jobs, lags, seen = 0, [], set()
    while now <= end:
        arrived = [m for m in pending if float(m.ts) <= now.timestamp()]
        if arrived:
            memory.ingest(record(m) for m in arrived)
            pending = pending[len(arrived) :]
        pipeline.planner.plan(now=now)
        ran = pipeline.runner.run_pending()
        jobs += ran
        if ran:
            for ch in ws.channels:
                for kind in ("thread", "day"):
                    for e in store.episodes(ws.team, ch.id, kind=kind):
                        if e.id not in seen:
                            seen.add(e.id)
                            lags.append((now.timestamp() - float(e.end_ts)) / 3600)
        now += tick
    return jobs, lags


def report(ws: Workspace, memory: Any, llm: Counting, settings: Any, tick: timedelta) -> None:
    from app.bootstrap import build_summaries
    from memory.summaries import SummaryStore

    pipeline = build_summaries(settings, memory, llm=llm)
    started = time.perf_counter()
    jobs, lags = replay(ws, memory, pipeline, tick)
    seconds = time.perf_counter() - started
    store = SummaryStore(memory.store.engine)
    by_kind: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    with memory.store.engine.connect() as conn:
        from sqlalchemy import text

        for kind, result in conn.execute(text("SELECT kind, result FROM jobs WHERE state = 'done'")):
            outcome = json.loads(result or "{}")
            by_kind[kind] += int(outcome.get("input_tokens", 0))
            calls[kind] += int(outcome.get("calls", 0))
    print(f"workspace: {ws.summary()}")
    print(f"jobs run: {jobs} in {seconds:.1f} s; queue {pipeline.queue.counts()}")
    print(f"LLM calls: {llm.calls} taking {llm.seconds:.1f} s")
    print(
        "input tokens by job kind: "
        + ", ".join(f"{k} {v} ({calls[k]} calls)" for k, v in sorted(by_kind.items()))
    )
    print(
        f"LLM input: {llm.sent} tokens estimated as sent"
        + (f", {llm.reported} reported by the server" if llm.reported else "")
        + f"; {llm.fresh} after a one-slot prompt cache ({llm.fresh / llm.sent:.2f} of sent)"
    )
    p50, p95, worst = percentile(lags, 50), percentile(lags, 95), max(lags, default=0)
    print(f"freshness (last message -> episode stored, {len(lags)} episodes): ", end="")
    print(f"p50 {p50:.1f} h, p95 {p95:.1f} h, max {worst:.1f} h")
    print("| channel | messages | message tokens | LLM input tokens | ratio | LLM output tokens |")
    print("|---|---|---|---|---|---|")
    total_msg = total_in = 0
    for ch in ws.channels:
        texts = [m.text for m in ws.messages if m.channel == ch.id]
        if not texts:
            continue
        msg_tokens = sum(estimate_tokens(t) for t in texts)
        tokens_in, tokens_out = store.token_totals(ws.team, ch.id)
        total_msg, total_in = total_msg + msg_tokens, total_in + tokens_in
        ratio = tokens_in / msg_tokens
        print(
            f"| {ch.name or ch.id} | {len(texts)} | {msg_tokens} | {tokens_in} | {ratio:.2f} | {tokens_out} |"
        )
    print(f"| **all** | {len(ws.messages)} | {total_msg} | {total_in} | {total_in / total_msg:.2f} | |")
    if total_in != sum(by_kind.values()):
        print(f"WARNING: episodes hold {total_in} input tokens but jobs report {sum(by_kind.values())}")
    print(f"  same, after the prompt cache: {llm.fresh / total_msg:.2f} per message token")
    if llm.count is not None:
        real_msg = sum(llm.count(m.text) for m in ws.messages)
        print(
            f"  with the model's tokenizer: {llm.counted} LLM input tokens / {real_msg} message tokens = "
            f"{llm.counted / real_msg:.2f} (estimate-based: {total_in / total_msg:.2f})"
        )
    accuracy(ws, store)
    listed_recall(ws, store, llm.prompts)


_DATE_NOTE = re.compile(r" \[\d{4}-\d\d-\d\d[^\]]*\]")


def listed_recall(ws: Workspace, store: Any, prompts: Sequence[str]) -> None:
    """For each planted reversal: was the decision it reverses recorded, and listed (as D1…) in the call
    that read the reversal? A model can only mark what it is shown as replaced."""
    text = {m.ts: _DATE_NOTE.sub("", m.text)[:100] for m in ws.messages}
    recorded = listed = 0
    channel_of = {m.ts: m.channel for m in ws.messages}
    kept = {new: old for new, old in ws.reversed_from.items() if new in channel_of and old in channel_of}
    for new_ts, old_ts in kept.items():  # (--channel keeps one channel's)
        channel = channel_of[old_ts]
        items = store.items(ws.team, channel, kinds=["decision"], live_only=False)
        recorded += any(old_ts in i.sources for i in items)
        for prompt in prompts:
            head, _, body = _DATE_NOTE.sub("", prompt).partition("<messages>")
            if text[new_ts] in body:
                listed += text[old_ts] in head
                break
    print(f"reversals: earlier decision recorded {recorded} / {len(kept)}, ", end="")
    print(f"listed in the call that read the reversal {listed} / {len(kept)}")


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
    totals = Counter(q.kind for q in decisions + owners + deadlines)
    print("| planted | found in decisions / action items |")
    print("|---|---|")
    for kind in ("decision", "reversed", "owner", "deadline"):
        print(f"| {kind} | {found[kind]} / {totals[kind]} |")


if __name__ == "__main__":
    main()
