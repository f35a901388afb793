"""Index units: what gets embedded for a message. A bare "yes, Friday" means nothing on its own, so a
unit carries its context: the thread's opening message and the message just before it.

The stored value stays the raw message (recall shows it with its link); only the key is enriched, and
mostly the dense one: the lexical vector holds the message's own words at full weight and a reply's thread
opening at `LEXICAL_CONTEXT_WEIGHT`, so an exact term (a ticket id) ranks the message that says it above the
replies that merely carry it as context, while "yes, Friday" can still be found by its thread's topic.
"""

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memory.records import MessageRecord

_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4f57-9b7e-4b1a0c9d2e11")
OPENING_CHARS = 240
PREVIOUS_CHARS = 160
TEXT_CHARS = 2000
LEXICAL_CONTEXT_WEIGHT = 0.3  # embedders truncate long input anyway; keep the hash stable and cheap


def point_id(team: str, channel: str, kind: str, key: str) -> str:
    """The vector point id for a unit: stable across runs and machines, so upserts are idempotent."""
    return str(uuid.uuid5(_NAMESPACE, f"{team}/{channel}/{kind}/{key}"))


@dataclass(frozen=True)
class IndexUnit:
    point_id: str
    team: str
    channel: str
    thread: str | None
    ts: str
    author: str
    kind: str
    text: str
    sources: tuple[str, ...]
    lexical_text: str = ""
    lexical_context: str = ""  # a reply's thread opening: weaker lexical terms (see SparseEncoder)
    ref: int = 0  # row id in the summary tables, for kinds other than "message"

    def content_hash(self, model_id: str) -> str:
        """What makes re-embedding necessary: the model and the exact text."""
        key = f"{model_id}\0{self.text}\0{self.lexical_text}\0{self.lexical_context}"
        return hashlib.sha256(key.encode()).hexdigest()

    def payload(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "channel": self.channel,
            "thread": self.thread or "",
            "author": self.author,
            "ts": float(self.ts),
            "kind": self.kind,
            "sources": list(self.sources),
            **({"ref": self.ref} if self.ref else {}),
        }


def message_unit(
    msg: MessageRecord,
    *,
    opening: MessageRecord | None,
    previous: MessageRecord | None,
    name: Callable[[str], str],
) -> IndexUnit:
    """The unit for one message, with its thread opening and predecessor as context."""
    parts = [f"{name(msg.user_id)}: {msg.text[:TEXT_CHARS]}"]
    if opening is not None and opening.ts != msg.ts:
        parts.append(f"(thread: {name(opening.user_id)}: {_snippet(opening.text, OPENING_CHARS)})")
    if previous is not None and (opening is None or previous.ts != opening.ts):
        parts.append(f"(before: {name(previous.user_id)}: {_snippet(previous.text, PREVIOUS_CHARS)})")
    thread = msg.thread_ts if msg.thread_ts else None
    return IndexUnit(
        point_id=point_id(msg.team_id, msg.channel_id, "message", msg.ts),
        team=msg.team_id,
        channel=msg.channel_id,
        thread=thread,
        ts=msg.ts,
        author=msg.user_id,
        kind="message",
        text="\n".join(parts),
        sources=(msg.ts,),
        lexical_text=parts[0],
        lexical_context=opening.text[:OPENING_CHARS] if opening is not None and opening.ts != msg.ts else "",
    )


def _snippet(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["IndexUnit", "message_unit", "point_id"]
