"""Build the prompt that answers a question from a Slack thread, sized to fit the model's window.

When the thread is longer than the window allows, the opening message is kept (it usually states the
topic) and the newest messages win; an explicit marker tells the model how many were left out.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from summarizer.language import LANGUAGE_NAMES, Language, detect_language
from summarizer.llm.base import ChatMessage
from summarizer.prompts import quoted, render
from summarizer.tokens import PER_MESSAGE_OVERHEAD, estimate_tokens, truncate_to_tokens

SAFETY_MARGIN = 0.1  # share of the window left unused because token counts are estimates


@dataclass(frozen=True)
class ThreadLine:
    """One message of the thread, already cleaned of Slack markup, with the author's display name."""

    author: str
    text: str
    when: datetime


@dataclass(frozen=True)
class Note:
    """A recalled memory shown to the model; `number` is how the answer cites it ([1], [2] ...)."""

    number: int
    when: datetime
    label: str  # "decision", "message from Alice", "thread summary" ...
    text: str

    def render(self, tz: tzinfo | None) -> str:
        return f"[{self.number}] {self.when.astimezone(tz):%a %d %b %Y} ({self.label}): {self.text}"


@dataclass(frozen=True)
class AnswerPrompt:
    messages: list[ChatMessage]
    language: Language
    kept: int
    omitted: int
    estimated_tokens: int
    notes_shown: tuple[int, ...] = ()


def build_answer_prompt(
    thread: Sequence[ThreadLine],
    question: ThreadLine,
    *,
    channel: str,
    context_tokens: int,
    answer_tokens: int,
    now: datetime,
    tz: tzinfo | None = None,
    brief: str = "",
    notes: Sequence[Note] = (),
    memory_tokens: int = 2000,
) -> AnswerPrompt:
    """Messages for the LLM: instructions, then the brief, recalled notes, the (trimmed) thread and the
    question. Memory gets at most `memory_tokens` (and at most 40% of the room); the thread the rest."""
    language = detect_language(question.text)
    system = render(
        "answer_system", today=now.astimezone(tz).strftime("%a %d %b %Y"), language=LANGUAGE_NAMES[language]
    )
    window = max(256, context_tokens - answer_tokens)
    budget = int(window * (1 - SAFETY_MARGIN)) - estimate_tokens(system) - 2 * PER_MESSAGE_OVERHEAD
    question_text = truncate_to_tokens(quoted(question.text), max(32, budget // 4))
    frame = render(
        "answer_user",
        channel=channel,
        thread="",
        asker=question.author,
        question=question_text,
        brief="",
        notes="",
    )
    budget -= estimate_tokens(frame)
    memory_room = min(memory_tokens, int(max(0, budget) * 0.4))
    brief_text = (
        truncate_to_tokens(quoted(brief.strip()), memory_room // 2) if brief.strip() else "(none yet)"
    )
    memory_room -= estimate_tokens(brief_text)
    shown: list[Note] = []
    for note in notes:  # best first: keep whole notes while they fit
        cost = estimate_tokens(note.render(tz)) + 1
        if cost > memory_room:
            continue
        shown.append(note)
        memory_room -= cost
    notes_text = "\n".join(quoted(n.render(tz)) for n in shown) or "(nothing recalled)"
    budget -= estimate_tokens(brief_text) + estimate_tokens(notes_text)

    lines = [_format(line, tz) for line in thread]
    kept_lines, omitted = _fit(lines, max(0, budget))
    user = render(
        "answer_user",
        channel=channel,
        thread="\n".join(kept_lines),
        asker=question.author,
        question=question_text,
        brief=brief_text,
        notes=notes_text,
    )
    messages = [ChatMessage("system", system), ChatMessage("user", user)]
    total = sum(estimate_tokens(m.content) + PER_MESSAGE_OVERHEAD for m in messages)
    kept = len(kept_lines) - (1 if omitted else 0)
    return AnswerPrompt(messages, language, kept, omitted, total, tuple(n.number for n in shown))


def _format(line: ThreadLine, tz: tzinfo | None) -> str:
    when = line.when.astimezone(tz).strftime("%Y-%m-%d %a %H:%M")
    return quoted(f"[{when}] {line.author}: {line.text}")


def _fit(lines: list[str], budget: int) -> tuple[list[str], int]:
    """Keep the first line and as many of the newest lines as fit; returns (lines, omitted count)."""
    if not lines:
        return [], 0
    cost = [estimate_tokens(line) + 1 for line in lines]
    if sum(cost) <= budget:
        return lines, 0
    first = truncate_to_tokens(lines[0], budget // 3)
    room = budget - estimate_tokens(first) - 16  # 16: the omission marker
    tail: list[str] = []
    for line, c in zip(reversed(lines[1:]), reversed(cost[1:]), strict=True):
        if c > room:
            if not tail and room > 32:  # the newest message alone is too long: keep its beginning
                tail.append(truncate_to_tokens(line, room))
            break
        tail.append(line)
        room -= c
    omitted = len(lines) - 1 - len(tail)
    marker = [f"[… {omitted} earlier messages omitted …]"] if omitted else []
    return [first, *marker, *reversed(tail)], omitted


__all__ = ["AnswerPrompt", "Note", "ThreadLine", "build_answer_prompt", "detect_language", "quoted"]
