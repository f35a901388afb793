"""The living project brief of a channel, rendered from its live items within a token budget.

Rendering is deterministic (no model call): the brief always states exactly what memory holds, and it
changes only when items do.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from memory.summaries import ItemRecord
from summarizer.tokens import estimate_tokens

SECTIONS = (
    ("decision", "Decisions"),
    ("action_item", "Open action items"),
    ("open_question", "Open questions"),
    ("fact", "Key facts"),
    ("convention", "How we work"),
)


def render_brief(
    channel: str, items: Sequence[ItemRecord], *, budget: int, now: datetime, tz: tzinfo = UTC
) -> str:
    """The brief: newest items first in each section; older ones are dropped to fit `budget` tokens."""
    live = [i for i in items if i.live and i.status == "open"]
    by_kind = {
        kind: sorted((i for i in live if i.kind == kind), key=lambda i: -float(i.valid_from))
        for kind, _ in SECTIONS
    }
    shown = {kind: len(entries) for kind, entries in by_kind.items()}
    header = f"Project brief for #{channel} (as of {now.astimezone(tz):%a %d %b %Y})"
    while True:
        text = _compose(header, by_kind, shown, tz)
        if estimate_tokens(text) <= budget or not any(shown.values()):
            return text
        largest = max(shown, key=lambda k: shown[k])  # trim the longest section by its oldest entry
        shown[largest] -= 1


def _compose(header: str, by_kind: dict[str, list[ItemRecord]], shown: dict[str, int], tz: tzinfo) -> str:
    lines = [header]
    for kind, title in SECTIONS:
        entries = by_kind[kind]
        if not entries:
            continue
        lines.append(f"{title}:")
        lines += [f"- {_line(item, tz)}" for item in entries[: shown[kind]]]
        if len(entries) > shown[kind]:
            lines.append(f"- (+{len(entries) - shown[kind]} older)")
    if len(lines) == 1:
        lines.append("Nothing recorded yet.")
    return "\n".join(lines)


def _line(item: ItemRecord, tz: tzinfo) -> str:
    since = datetime.fromtimestamp(float(item.valid_from), UTC).astimezone(tz)
    parts = [item.text]
    if item.owner:
        parts.insert(0, f"{item.owner}:")
    if item.due:
        parts.append(f"(due {_day(item.due)})")
    if item.kind == "decision":
        parts.append(f"(since {since:%a %d %b})")
    return " ".join(parts)


def _day(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%a %d %b")
    except ValueError:
        return iso


__all__ = ["SECTIONS", "render_brief"]
