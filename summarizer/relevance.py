"""Which live items a batch call should list: those the new messages plausibly update.

Listing every live item on every call costs more than the messages themselves (measured: 21.5k listed
tokens against 24.5k message tokens on the 30-day bench), and a small model reads a long list badly. An
update to a decision or task shares its distinctive words ("billing migration", "Avro", "runbook"), so an
item is listed when the terms it shares with one new message weigh enough, IDF taken over the batch's
messages and the live items together: words every message uses ("we", "the", "decision") weigh little.
Terms are the sparse index's (stems, Hangul bigrams), so Korean particles do not hide a match.

Known limit: an update written in another language than its item shares no words and is not listed
(the model can still record it as a new decision; the old one then stays live until a later update).
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from memory.sparse import tokenize

MIN_SCORE = 1.5  # about two distinctive shared words (a word every document has weighs 0, a rare one ~0.8)


@dataclass(frozen=True)
class Candidate:
    key: int  # the caller's handle on the item
    text: str  # what the item says (text, owner)


def relevant(candidates: Sequence[Candidate], messages: Sequence[str], limit: int) -> list[int]:
    """Keys of at most `limit` candidates worth listing, best match first."""
    if not candidates or not messages or limit <= 0:
        return []
    item_terms = [set(tokenize(c.text)) for c in candidates]
    message_terms = [set(tokenize(m)) for m in messages]
    df: Counter[str] = Counter()
    for terms in (*item_terms, *message_terms):
        df.update(terms)
    docs = len(item_terms) + len(message_terms)

    rarest = math.log((docs + 1) / 1.5)  # a term only one document has

    def weight(term: str) -> float:  # IDF scaled to at most 1, so the bar does not move with batch size
        return max(0.0, math.log((docs + 1) / (df[term] + 0.5)) / rarest)

    scored: list[tuple[float, int]] = []  # (the item's best match with one message, the item)
    for i, terms in enumerate(item_terms):
        best = max(sum(weight(t) for t in terms & m) for m in message_terms)
        if best >= MIN_SCORE:
            scored.append((best, i))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [candidates[i].key for _, i in scored[:limit]]


__all__ = ["MIN_SCORE", "Candidate", "relevant"]
