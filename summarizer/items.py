"""A batch's extraction turned into items of memory: sources as message ts, due dates resolved by code,
each item attached to the segment its sources come from, and the changes it makes to earlier items."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from memory.summaries import ItemChange, ItemRecord
from summarizer.dates import resolve_due
from summarizer.pipeline import Line
from summarizer.schemas import Batch


@dataclass(frozen=True)
class Numbered:
    """What the model saw: lines numbered across the batch, and the segment (index) each belongs to."""

    lines: Sequence[Line]
    segment_of: dict[int, int]  # line number -> segment index
    raw: dict[int, str]  # line number -> the message text as stored (for due dates)


def batch_items(
    team: str,
    channel: str,
    found: Batch,
    seen: Numbered,
    refs: dict[str, ItemRecord],
    tz: ZoneInfo,
    segments: int,
) -> tuple[list[list[ItemRecord]], list[ItemChange]]:
    """Items per segment (in segment order) and the changes they make; the indexes in the changes point
    into the items of all segments concatenated, as `SummaryStore.save_batch` expects."""
    by_number = {line.number: line for line in seen.lines}
    made: list[tuple[int, ItemRecord]] = []  # (segment, item) in extraction order
    changes: list[tuple[int, int | None, int]] = []  # (new item, earlier item's id or None, earlier new item)
    positions: dict[str, list[int]] = {"decision": [], "action_item": []}

    def origin(numbers: Sequence[int]) -> tuple[tuple[str, ...], int]:
        valid = [n for n in numbers if n in by_number]
        if not valid:
            last = seen.lines[-1]
            return (last.ts,), seen.segment_of[last.number]
        return tuple(by_number[n].ts for n in valid), seen.segment_of[valid[0]]

    def add(
        kind: str,
        text: str,
        src: Sequence[int],
        replaces: Sequence[str] = (),
        *,
        owner: str = "",
        due: str = "",
        status: str = "open",
    ) -> None:
        sources, segment = origin(src)
        item = ItemRecord(
            team, channel, kind, text, sources[0], owner=owner, due=due, status=status, sources=sources
        )
        made.append((segment, item))
        index = len(made) - 1
        for ref in replaces:
            if ref in refs and refs[ref].kind == kind:
                changes.append((index, refs[ref].id, -1))
            elif ref.startswith("N") and ref[1:].isdigit() and kind in positions:
                earlier = positions[kind]
                k = int(ref[1:]) - 1
                if 0 <= k < len(earlier):
                    changes.append((index, None, earlier[k]))
        if kind in positions:
            positions[kind].append(index)

    for d in found.decisions:
        add("decision", d.text, d.source, d.replaces)
    for a in found.action_items:
        sources, _ = origin(a.source)
        anchor = _when(sources[0])
        # The model's date if valid, else the date the task or its source messages state, resolved by code.
        texts = [
            (a.text, anchor),
            *((seen.raw[n], _when(by_number[n].ts)) for n in a.source if n in seen.raw),
        ]
        due = _iso(a.due) or next(
            (day.isoformat() for t, at in texts if (day := resolve_due(t, anchor=at, tz=tz)) is not None), ""
        )
        status = "done" if a.done else "open"
        add("action_item", a.text, a.source, a.replaces, owner=a.owner, due=due, status=status)
    for kind, notes in (
        ("open_question", found.open_questions),
        ("fact", found.facts),
        ("convention", found.conventions),
    ):
        for n in notes:
            add(kind, n.text, n.source)

    order = sorted(range(len(made)), key=lambda i: made[i][0])  # stable: extraction order within a segment
    place = {old: new for new, old in enumerate(order)}
    per_segment: list[list[ItemRecord]] = [[] for _ in range(segments)]
    for i in order:
        per_segment[made[i][0]].append(made[i][1])
    result = [
        ItemChange(old, replaced_by=place[new], new_index=None if old is not None else place[earlier])
        for new, old, earlier in changes
    ]
    answered_at = seen.lines[-1].ts
    for ref in found.answered_questions:
        if ref in refs and refs[ref].kind == "open_question":
            result.append(ItemChange(refs[ref].id, status="answered", extra={"at": answered_at}))
    return per_segment, result


def _iso(text: str) -> str:
    try:
        return date.fromisoformat(text.strip()).isoformat() if text.strip() else ""
    except ValueError:
        return ""


def _when(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


__all__ = ["Numbered", "batch_items"]
