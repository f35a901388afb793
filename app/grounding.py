"""Ground an answer in memory: recalled notes for the prompt, and the permalinks of the notes the
answer cites, so every claim can be checked against the messages it came from."""

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.i18n import t
from app.slack_text import to_plain_text
from memory.errors import StoreError
from memory.retrieval import RecallHit, RecallQuery
from memory.service import MemoryService
from summarizer.answering import Note
from summarizer.language import Language

log = logging.getLogger(__name__)

KIND_LABELS = {
    "decision": "decision",
    "action_item": "action item",
    "open_question": "open question",
    "fact": "fact",
    "convention": "how the team works",
    "episode": "summary of a conversation",
}
_CITATION = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Recalled:
    notes: list[Note]
    hits: dict[int, RecallHit]
    available: bool  # False when memory search failed and the answer uses the thread only


def recall_notes(
    memory: MemoryService,
    query: RecallQuery,
    *,
    exclude_ts: set[str],
    name: Callable[[str], str],
) -> Recalled:
    """Notes for the prompt, best first, leaving out what the thread already shows."""
    try:
        hits = memory.recall(query)
    except StoreError as exc:
        log.warning("memory recall failed, answering from the thread only: %s", exc)
        return Recalled([], {}, available=False)
    notes: list[Note] = []
    by_number: dict[int, RecallHit] = {}
    for hit in hits:
        if hit.kind == "message" and hit.ts in exclude_ts:
            continue
        number = len(notes) + 1
        label = KIND_LABELS.get(hit.kind) or f"message from {name(hit.author) if hit.author else 'someone'}"
        text = to_plain_text(hit.text, name)  # stored text keeps Slack markup; the model reads plain text
        notes.append(Note(number, datetime.fromtimestamp(float(hit.ts), UTC), label, text))
        by_number[number] = hit
    return Recalled(notes, by_number, available=True)


def cited(answer: str, shown: Sequence[int]) -> list[int]:
    """Note numbers the answer cites, in order of first citation, among those shown to the model."""
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        number = int(match.group(1))
        if number in shown and number not in seen:
            seen.append(number)
    return seen


def sources_footer(
    client: WebClient, numbers: Sequence[int], hits: dict[int, RecallHit], language: Language
) -> str:
    """`Sources: [1] #channel · Tue 4 Nov · [2] …` as Slack links to the source messages."""
    links = []
    for number in numbers:
        hit = hits[number]
        ts = hit.sources[0] if hit.sources else hit.ts
        when = datetime.fromtimestamp(float(ts), UTC).strftime("%a %d %b")
        try:
            url = str(client.chat_getPermalink(channel=hit.channel, message_ts=ts)["permalink"])
        except SlackApiError as exc:
            log.info("no permalink for %s/%s: %s", hit.channel, ts, exc.response.get("error"))
            links.append(f"[{number}] <#{hit.channel}> · {when}")
            continue
        links.append(f"<{url}|[{number}] {when}>")
    return f"*{t('sources', language)}:* " + " · ".join(links) if links else ""


__all__ = ["Recalled", "cited", "recall_notes", "sources_footer"]
