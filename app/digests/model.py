"""What a digest says, as plain data: gathered in app/digests/content.py, rendered by app/blocks/digests.py."""

from dataclasses import dataclass

from summarizer.language import Language


@dataclass(frozen=True)
class DecisionLine:
    text: str
    link: str | None = None


@dataclass(frozen=True)
class Reversal:
    """A decision superseded during the period: what it was and what replaced it."""

    old: str
    new: str
    link: str | None = None


@dataclass(frozen=True)
class ActionLine:
    text: str
    owner: str = ""
    due: str = ""  # YYYY-MM-DD or ""
    done: bool = False
    overdue: bool = False
    link: str | None = None


@dataclass(frozen=True)
class QuestionLine:
    text: str
    answered: bool = False
    link: str | None = None


@dataclass(frozen=True)
class ThreadLine:
    label: str
    replies: int
    link: str | None = None


@dataclass(frozen=True)
class DigestContent:
    """A channel's changes in (since, until]; `since`/`until` are Unix seconds."""

    channel_id: str
    language: Language
    since: float
    until: float
    messages: int = 0
    people: int = 0
    decisions: tuple[DecisionLine, ...] = ()
    reversals: tuple[Reversal, ...] = ()
    actions: tuple[ActionLine, ...] = ()
    questions: tuple[QuestionLine, ...] = ()
    threads: tuple[ThreadLine, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing happened: no messages and no change to decisions, action items or questions."""
        return not (
            self.messages or self.decisions or self.reversals or self.actions or self.questions or self.threads
        )


__all__ = ["ActionLine", "DecisionLine", "DigestContent", "QuestionLine", "Reversal", "ThreadLine"]
