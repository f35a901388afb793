"""The living project brief of a channel, rendered from its live items within a token budget.

Rendering is deterministic (no model call): the brief always states exactly what memory holds, and it
changes only when items do.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo

from memory.summaries import ItemRecord
from summarizer.language import Language
from summarizer.tokens import estimate_tokens

SECTIONS = (
    ("decision", "Decisions"),
    ("action_item", "Open action items"),
    ("open_question", "Open questions"),
    ("fact", "Key facts"),
    ("convention", "How we work"),
)
# The brief is written in the channel's language: it is shown to people (`/kiok brief`) and to the model.
LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "decision": "Decisions",
        "action_item": "Open action items",
        "open_question": "Open questions",
        "fact": "Key facts",
        "convention": "How we work",
        "header": "Project brief for #{channel} (as of {day})",
        "older": "(+{n} older)",
        "empty": "Nothing recorded yet.",
        "due": "(due {day})",
        "since": "(since {day})",
    },
    "ko": {
        "decision": "결정 사항",
        "action_item": "진행 중인 할 일",
        "open_question": "열린 질문",
        "fact": "핵심 사실",
        "convention": "팀이 일하는 방식",
        "header": "#{channel} 프로젝트 브리프 ({day} 기준)",
        "older": "(이전 항목 {n}개 더)",
        "empty": "아직 기록된 것이 없어요.",
        "due": "(마감 {day})",
        "since": "({day}부터)",
    },
}
_KO_WEEKDAYS = "월화수목금토일"


def _format_day(day: date, language: Language, *, year: bool = False) -> str:
    if language == "ko":
        return f"{day:%Y-%m-%d} ({_KO_WEEKDAYS[day.weekday()]})"
    return f"{day:%a %d %b %Y}" if year else f"{day:%a %d %b}"


def render_brief(
    channel: str,
    items: Sequence[ItemRecord],
    *,
    budget: int,
    now: datetime,
    tz: tzinfo = UTC,
    language: Language = "en",
) -> str:
    """The brief: newest items first in each section; older ones are dropped to fit `budget` tokens."""
    live = [i for i in items if i.live and i.status == "open"]
    by_kind = {
        kind: sorted((i for i in live if i.kind == kind), key=lambda i: -float(i.valid_from))
        for kind, _ in SECTIONS
    }
    shown = {kind: len(entries) for kind, entries in by_kind.items()}
    labels = LABELS[language]
    today = _format_day(now.astimezone(tz).date(), language, year=True)
    header = labels["header"].format(channel=channel, day=today)
    while True:
        text = _compose(header, by_kind, shown, tz, language)
        if estimate_tokens(text) <= budget or not any(shown.values()):
            return text
        largest = max(shown, key=lambda k: shown[k])  # trim the longest section by its oldest entry
        shown[largest] -= 1


def _compose(
    header: str, by_kind: dict[str, list[ItemRecord]], shown: dict[str, int], tz: tzinfo, language: Language
) -> str:
    labels = LABELS[language]
    lines = [header]
    for kind, _title in SECTIONS:
        entries = by_kind[kind]
        if not entries:
            continue
        lines.append(f"{labels[kind]}:")
        lines += [f"- {_line(item, tz, language)}" for item in entries[: shown[kind]]]
        if len(entries) > shown[kind]:
            lines.append("- " + labels["older"].format(n=len(entries) - shown[kind]))
    if len(lines) == 1:
        lines.append(labels["empty"])
    return "\n".join(lines)


def _line(item: ItemRecord, tz: tzinfo, language: Language) -> str:
    labels = LABELS[language]
    since = datetime.fromtimestamp(float(item.valid_from), UTC).astimezone(tz).date()
    parts = [item.text]
    if item.owner:
        parts.insert(0, f"{item.owner}:")
    if item.due:
        parts.append(labels["due"].format(day=_day(item.due, language)))
    if item.kind == "decision":
        parts.append(labels["since"].format(day=_format_day(since, language)))
    return " ".join(parts)


def _day(iso: str, language: Language) -> str:
    try:
        return _format_day(datetime.fromisoformat(iso).date(), language)
    except ValueError:
        return iso


__all__ = ["LABELS", "SECTIONS", "render_brief"]
