"""Summarize many segments of one channel (quiet thread segments, finished days) in as few calls as fit.

The fixed prompt and the listing of live items are paid once per call, not once per segment, which is
what makes summarization cost linear in the text. Segments are packed whole into calls that fit the
window and whose answer (one summary per segment plus items) fits the output budget (map); a segment too
long for one call is split, and its partial summaries are merged by one more call (reduce). Every
message is sent to the model once. Numbering is global across the batch, so an item's `source` numbers
name its messages whichever call it came from.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from summarizer.pipeline import Line, LiveItem, Summarizer, Usage, chunk_lines
from summarizer.prompts import render
from summarizer.schemas import ActionItem, Batch, Decision, batch_schema
from summarizer.tokens import estimate_tokens

SEGMENT_OUTPUT = 45  # answer tokens to allow per segment summary
FIXED_OUTPUT = 260  # answer tokens to allow for the overview and the items of one call
_NEW_REF = re.compile(r"^N(\d+)$")
_PLAIN_LINE = re.compile(r"^\W*(S\d+)\W+(.+)$")


@dataclass(frozen=True)
class SegmentInput:
    """One segment as the model sees it: `id` (S1, S2…), the day it starts, its numbered lines."""

    id: str
    day: str
    lines: tuple[Line, ...]


@dataclass
class BatchResult:
    summaries: dict[str, str]  # segment id -> summary ("" when the model gave none)
    overview: str  # the whole batch in a sentence or two (what weeks roll up from)
    items: Batch  # items of every call; N-refs renumbered to positions in these lists
    structured: bool
    calls: int
    usage: Usage = field(default_factory=Usage)


@dataclass
class _Call:
    blocks: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    tokens: int = 0
    last_day: str = ""


def listing(items: Sequence[LiveItem]) -> str:
    """The live items shown to the model (empty when there are none: no header is paid for nothing)."""
    return "Listed items:\n" + "\n".join(i.render() for i in items) + "\n" if items else ""


def summarize_batch(
    summarizer: Summarizer,
    segments: Sequence[SegmentInput],
    *,
    channel: str,
    language: str,
    listed: Sequence[LiveItem] = (),
) -> BatchResult:
    system = render("batch_system")  # the same for every call: servers reuse its cached prefix
    frame = render("batch_user", channel=channel, listed=listing(listed), messages="", language=language)
    window = summarizer.llm.model_info().context_length
    output = min(summarizer.max_output_tokens, window // 4)
    per_call = max(1, (output - FIXED_OUTPUT) // SEGMENT_OUTPUT)
    lines = [line.render() for seg in segments for line in seg.lines]
    ratio = summarizer.tokenizer_ratio([system, frame, *lines])
    calls = _pack(segments, Summarizer.room(window, output, system, frame, ratio=ratio), per_call)
    usage, parts, structured = Usage(), [], True
    partial: dict[str, list[str]] = {}
    for call in calls:
        user = frame.replace(
            "<messages>\n\n</messages>", "<messages>\n" + "\n".join(call.blocks) + "\n</messages>"
        )
        found = summarizer.ask_json(system, user, output, batch_schema(call.ids), Batch, usage)
        if found is None:
            structured = False
            found = _plain(
                summarizer.ask_text(render("batch_plain_system", language=language), user, output, usage)
            )
        seen: set[str] = set()
        for seg in found.segments:  # at most one summary per segment and call; unknown ids are ignored
            if seg.id in call.ids and seg.id not in seen and seg.summary:
                seen.add(seg.id)
                partial.setdefault(seg.id, []).append(seg.summary)
        parts.append(found)
    summaries: dict[str, str] = {}
    for seg_id, texts in partial.items():
        if len(texts) == 1:
            summaries[seg_id] = texts[0]
            continue
        joined = "\n\n".join(f"Part {i}: {t}" for i, t in enumerate(texts, start=1))
        merged = summarizer.ask_text(render("merge_system", language=language), joined, output, usage)
        summaries[seg_id] = (merged or " ".join(texts))[:1200]
    overview = " ".join(p.overview for p in parts if p.overview)
    return BatchResult(summaries, overview, _concat(parts), structured, len(calls), usage)


def _pack(segments: Sequence[SegmentInput], budget: int, per_call: int) -> list[_Call]:
    """Segments in order, whole, into calls within `budget` tokens and `per_call` segments; a segment
    larger than a call is split into consecutive calls of its own (same id, merged afterwards)."""
    calls = [_Call()]
    for seg in segments:
        rendered = [line.render() for line in seg.lines]
        block = _block(seg, rendered, show_day=seg.day != calls[-1].last_day)
        cost = estimate_tokens(block) + 1
        current = calls[-1]
        if current.ids and (current.tokens + cost > budget or len(current.ids) >= per_call):
            calls.append(_Call())
            block = _block(seg, rendered, show_day=True)
            cost = estimate_tokens(block) + 1
        if cost <= budget:
            calls[-1].blocks.append(block)
            calls[-1].ids.append(seg.id)
            calls[-1].tokens += cost
            calls[-1].last_day = seg.day
            continue
        if calls[-1].ids:
            calls.append(_Call())
        header = estimate_tokens(_header(seg, True)) + 1
        for chunk in chunk_lines(rendered, budget - header):
            if calls[-1].ids:
                calls.append(_Call())
            calls[-1].blocks.append(_block(seg, chunk, show_day=True))
            calls[-1].ids.append(seg.id)
            calls[-1].tokens = budget  # full: the next segment starts a new call
            calls[-1].last_day = seg.day
    return [c for c in calls if c.ids]


def _header(seg: SegmentInput, show_day: bool) -> str:
    return f"[{seg.id} {seg.day}]" if show_day and seg.day else f"[{seg.id}]"


def _block(seg: SegmentInput, rendered: Sequence[str], *, show_day: bool) -> str:
    return "\n".join([_header(seg, show_day), *rendered])


def _plain(text: str) -> Batch:
    """The plain-text fallback: lines "S1: summary" become segment summaries; no items or overview."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if (m := _PLAIN_LINE.match(line.strip())) and m.group(1) not in found:
            found[m.group(1)] = m.group(2).strip()[:400]
    return Batch.model_validate({"segments": [{"id": k, "summary": v} for k, v in found.items()]})


def _concat(parts: Sequence[Batch]) -> Batch:
    """Items of several calls in one list each; "N2" (the 2nd of that call's list) becomes its position
    in the combined list, so a reversal within any call still points at the right item."""
    decisions: list[Decision] = []
    actions: list[ActionItem] = []
    for part in parts:
        offset_d, offset_a = len(decisions), len(actions)
        decisions += [d.model_copy(update={"replaces": _shift(d.replaces, offset_d)}) for d in part.decisions]
        actions += [
            a.model_copy(update={"replaces": _shift(a.replaces, offset_a)}) for a in part.action_items
        ]
    return Batch(
        decisions=decisions,
        action_items=actions,
        open_questions=[q for p in parts for q in p.open_questions],
        facts=[f for p in parts for f in p.facts],
        conventions=[c for p in parts for c in p.conventions],
        answered_questions=sorted({q for p in parts for q in p.answered_questions}),
    )


def _shift(refs: Sequence[str], offset: int) -> list[str]:
    return [f"N{int(m.group(1)) + offset}" if (m := _NEW_REF.match(r.strip())) else r.strip() for r in refs]


__all__ = ["BatchResult", "SegmentInput", "listing", "summarize_batch"]
