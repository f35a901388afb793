"""Summarize a stretch of conversation into an Extraction with a model of any context size.

Input that does not fit the window is split into chunks (map); their items are concatenated and their
summaries merged (reduce), so the model's input stays proportional to the text, never its square.
Several segments of a channel go into one call (`summarizer.batch`), so the fixed prompt is paid once per
batch, not once per thread.
Output is schema-constrained JSON, validated with pydantic, repaired once, and — if the model still
cannot produce it — replaced by a plain-text summary rather than losing the job.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from summarizer.llm.base import ChatMessage, ChatResult, LLMClient
from summarizer.prompts import quoted, render
from summarizer.schemas import Extraction, extraction_schema
from summarizer.tokens import PER_MESSAGE_OVERHEAD, estimate_tokens, truncate_to_tokens

log = logging.getLogger(__name__)

SAFETY_MARGIN = 0.1
LISTED_CHARS = 120  # a listed item is shown to be recognized, not re-read: its start is enough
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Line:
    """One message to summarize; `number` is how the model cites it (1-based within the job)."""

    number: int
    ts: str
    author: str
    text: str
    when: str = ""  # "2026-11-20 Thu 09:15", shown to the model

    def render(self) -> str:
        stamp = f"[{self.when}] " if self.when else ""
        return quoted(f"{self.number}. {stamp}{self.author}: {self.text}")


@dataclass(frozen=True)
class LiveItem:
    """An item already in memory that new conversation may update (`ref` like D1, A2, Q3)."""

    ref: str
    text: str
    owner: str = ""
    due: str = ""

    def render(self) -> str:
        extra = "".join(f"; {k}: {v}" for k, v in (("owner", self.owner), ("due", self.due)) if v)
        text = self.text if len(self.text) <= LISTED_CHARS else self.text[: LISTED_CHARS - 1].rstrip() + "…"
        return quoted(f"{self.ref}: {text}{extra}")


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0

    def add(self, messages: Sequence[ChatMessage], result: ChatResult) -> None:
        estimate_in = sum(estimate_tokens(m.content) + PER_MESSAGE_OVERHEAD for m in messages)
        self.input_tokens += result.prompt_tokens or estimate_in
        self.output_tokens += result.completion_tokens or estimate_tokens(result.text)
        self.calls += 1


@dataclass
class SummaryResult:
    extraction: Extraction
    structured: bool
    chunks: int
    usage: Usage = field(default_factory=Usage)


class Summarizer:
    """Turns lines of conversation into an Extraction, within the model's context window; batches of
    segments into per-segment summaries and items (`summarizer.batch`); summaries into a roll-up."""

    def __init__(self, llm: LLMClient, *, max_output_tokens: int = 700) -> None:
        self._llm, self._max_output = llm, max_output_tokens

    @property
    def llm(self) -> LLMClient:
        return self._llm

    @property
    def max_output_tokens(self) -> int:
        return self._max_output

    def summarize(
        self,
        lines: Sequence[Line],
        *,
        channel: str,
        language: str,
        decisions: Sequence[LiveItem] = (),
        actions: Sequence[LiveItem] = (),
        questions: Sequence[LiveItem] = (),
    ) -> SummaryResult:
        system = render("summarize_system", language=language)
        frame = render(
            "summarize_user",
            channel=channel,
            messages="",
            decisions=_listing(decisions),
            actions=_listing(actions),
            questions=_listing(questions),
        )
        window = self._llm.model_info().context_length
        output = min(self._max_output, window // 4)
        rendered = [line.render() for line in lines]
        ratio = self.tokenizer_ratio([system, frame, *rendered])
        chunks = chunk_lines(rendered, self.room(window, output, system, frame, ratio=ratio))
        usage = Usage()
        parts: list[Extraction] = []
        structured = True
        for chunk in chunks:
            user = frame.replace(
                "<messages>\n\n</messages>", "<messages>\n" + "\n".join(chunk) + "\n</messages>"
            )
            extraction, ok = self._extract(system, user, output, language, usage)
            parts.append(extraction)
            structured = structured and ok
        merged = self._merge(parts, language, output, usage)
        return SummaryResult(merged, structured, len(chunks), usage)

    @staticmethod
    def room(window: int, output: int, *fixed: str, ratio: float = 1.0) -> int:
        """Estimated tokens left for conversation in one request once the fixed texts and the answer are
        counted; `ratio` is the model's tokens per estimated token (`tokenizer_ratio`)."""
        usable = int(window * (1 - SAFETY_MARGIN)) - output - 2 * PER_MESSAGE_OVERHEAD
        budget = int(usable / ratio) - sum(estimate_tokens(t) for t in fixed)
        if budget < 64:
            raise ValueError(f"a {window}-token window leaves no room for messages: use a larger num_ctx")
        return budget

    def tokenizer_ratio(self, texts: Sequence[str]) -> float:
        """The model's own token count of `texts` over the estimate, when the server can tokenize (one
        request); at least 1: the estimate over-counts English words but under-counts digits and some
        Hangul, and a prompt must never overflow. 1.0 when the server cannot tokenize."""
        sample = "\n".join(texts)
        counts = self._llm.count_tokens([sample]) if sample else None
        if not counts:
            return 1.0
        return max(1.0, counts[0] / max(1, estimate_tokens(sample)))

    def ask_json(
        self, system: str, user: str, output: int, schema: dict[str, Any], model: type[M], usage: Usage
    ) -> M | None:
        """Schema-constrained JSON validated as `model`, repaired once; None if it still fails."""
        messages = [ChatMessage("system", system), ChatMessage("user", user)]
        result = self._llm.chat(messages, max_tokens=output, temperature=0.0, json_schema=schema)
        usage.add(messages, result)
        try:
            return _parse(result.text, model)
        except (ValueError, ValidationError) as exc:
            error = _short_error(exc)
            log.info("%s invalid (%s); asking the model to repair it once", model.__name__, error)
        repair = [
            *messages,
            ChatMessage("assistant", result.text[:4000]),
            ChatMessage("user", render("repair_user", error=error)),
        ]
        retry = self._llm.chat(repair, max_tokens=output, temperature=0.0, json_schema=schema)
        usage.add(repair, retry)
        try:
            return _parse(retry.text, model)
        except (ValueError, ValidationError) as exc:
            log.warning("%s still invalid after repair (%s): falling back", model.__name__, _short_error(exc))
        return None

    def ask_text(self, system: str, user: str, output: int, usage: Usage) -> str:
        messages = [ChatMessage("system", system), ChatMessage("user", user)]
        result = self._llm.chat(messages, max_tokens=output, temperature=0.0)
        usage.add(messages, result)
        return result.text.strip()

    def _extract(
        self, system: str, user: str, output: int, language: str, usage: Usage
    ) -> tuple[Extraction, bool]:
        found = self.ask_json(system, user, output, extraction_schema(), Extraction, usage)
        if found is not None:
            return found, True
        text = self.ask_text(render("plain_summary_system", language=language), user, output, usage)
        return Extraction(summary=truncate_to_tokens(text, 400)), False

    def rollup(self, texts: Sequence[str], *, language: str, usage: Usage) -> str:
        """One summary of several summaries (a week from its episodes), split to fit the window."""
        system = render("merge_system", language=language)
        window = self._llm.model_info().context_length
        output = min(self._max_output, window // 4)
        ratio = self.tokenizer_ratio([system, *texts])
        chunks = chunk_lines(list(texts), self.room(window, output, system, ratio=ratio))
        parts = [self.ask_text(system, "\n".join(chunk), output, usage) for chunk in chunks]
        while len(parts) > 1:  # reduce: a long week's partial roll-ups are rolled up again
            chunks = chunk_lines(parts, self.room(window, output, system, ratio=ratio))
            if len(chunks) == len(parts):  # answers as long as the window allows: nothing to gain
                return " ".join(parts)[:1200]
            parts = [self.ask_text(system, "\n\n".join(chunk), output, usage) for chunk in chunks]
        return parts[0][:1200] if parts else ""

    def _merge(self, parts: list[Extraction], language: str, output: int, usage: Usage) -> Extraction:
        if len(parts) == 1:
            return parts[0]
        summaries = "\n\n".join(f"Part {i}: {p.summary}" for i, p in enumerate(parts, start=1))
        text = self.ask_text(render("merge_system", language=language), summaries, output, usage)
        return Extraction(
            summary=text[:1200] or " ".join(p.summary for p in parts)[:1200],
            decisions=[d for p in parts for d in p.decisions],
            action_items=[a for p in parts for a in p.action_items],
            open_questions=[q for p in parts for q in p.open_questions],
            facts=[f for p in parts for f in p.facts],
            conventions=[c for p in parts for c in p.conventions],
            answered_questions=sorted({q for p in parts for q in p.answered_questions}),
        )


def _listing(items: Sequence[LiveItem]) -> str:
    return "\n".join(item.render() for item in items) or "(none)"


def chunk_lines(rendered: list[str], budget: int) -> list[list[str]]:
    """Consecutive lines grouped so each group's estimate fits `budget` (a huge line is truncated)."""
    chunks: list[list[str]] = [[]]
    used = 0
    for line in rendered:
        cost = estimate_tokens(line) + 1
        if cost > budget:
            line, cost = truncate_to_tokens(line, budget - 1), budget
        if used + cost > budget and chunks[-1]:
            chunks.append([])
            used = 0
        chunks[-1].append(line)
        used += cost
    return chunks


def _parse(text: str, model: type[M]) -> M:
    """JSON from the model; control characters in strings are tolerated (llama.cpp grammars emit them)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    return model.model_validate(json.loads(text[start : end + 1], strict=False))


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
    return str(exc)[:300]


__all__ = ["Line", "LiveItem", "Summarizer", "SummaryResult", "Usage", "chunk_lines"]
