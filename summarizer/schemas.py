"""What the model must return when it summarizes a stretch of conversation (JSON, schema-checked).

`Extraction` is one stretch (a thread summarized on demand); `Batch` is several segments of a channel read
in one call: a summary per segment id, an overview of them all, and the items found in all of them.

List lengths are bounded in the schema (constrained decoding stays small and fast); string lengths are
not — a `maxLength` of hundreds of characters makes llama.cpp's grammar too large to parse — so long
strings are cut to size after parsing instead of failing validation.
"""

import copy
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ItemKind = Literal["decision", "action_item", "open_question", "fact", "convention"]


def _cut(limit: int) -> AfterValidator:
    return AfterValidator(lambda text: text if len(text) <= limit else text[: limit - 1].rstrip() + "…")


Text = Annotated[str, _cut(300)]
Short = Annotated[str, _cut(80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Decision(_Strict):
    text: Text = Field(description="What was decided, as one sentence.")
    replaces: list[str] = Field(
        default_factory=list,
        max_length=3,
        description="Ids of decisions this one reverses: listed (D1…) or earlier in this answer (N1…).",
    )
    source: list[int] = Field(
        default_factory=list, max_length=5, description="Message numbers it comes from."
    )


class ActionItem(_Strict):
    text: Text = Field(description="The task.")
    owner: Short = Field(default="", description="Who does it (a name from the messages).")
    due: Short = Field(default="", description="Due date as YYYY-MM-DD, only if stated.")
    replaces: list[str] = Field(default_factory=list, max_length=3, description="Ids (A1…) this one updates.")
    done: bool = Field(default=False, description="True if the messages say it is done.")
    source: list[int] = Field(default_factory=list, max_length=5)


class Note(_Strict):
    text: Text
    source: list[int] = Field(default_factory=list, max_length=5)


class Extraction(_Strict):
    """One summarization result: the narrative plus the durable items found in it."""

    summary: Annotated[str, _cut(1200)] = Field(description="What happened, in 2-5 sentences.")
    decisions: list[Decision] = Field(default_factory=list, max_length=8)
    action_items: list[ActionItem] = Field(default_factory=list, max_length=10)
    open_questions: list[Note] = Field(default_factory=list, max_length=6)
    facts: list[Note] = Field(default_factory=list, max_length=8)
    conventions: list[Note] = Field(default_factory=list, max_length=4)
    answered_questions: list[str] = Field(
        default_factory=list, max_length=6, description="Ids (Q1…) of earlier open questions now answered."
    )


def extraction_schema() -> dict[str, object]:
    """The JSON schema sent to the server (Ollama `format`, OpenAI `response_format`)."""
    return Extraction.model_json_schema()


class SegmentSummary(_Strict):
    id: str
    summary: Annotated[str, _cut(400)] = ""


class Batch(_Strict):
    """Several segments read in one call. List lengths are bounded per call by `batch_schema`, not here."""

    segments: list[SegmentSummary] = Field(default_factory=list)
    overview: Annotated[str, _cut(600)] = ""
    decisions: list[Decision] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    open_questions: list[Note] = Field(default_factory=list)
    facts: list[Note] = Field(default_factory=list)
    conventions: list[Note] = Field(default_factory=list)
    answered_questions: list[str] = Field(default_factory=list)


_ITEM_CAPS = {"decisions": 8, "action_items": 10, "open_questions": 6, "facts": 8, "conventions": 4}


def batch_schema(segment_ids: Sequence[str]) -> dict[str, Any]:
    """The schema of one batch call: exactly one summary per segment id (ids as an enum, so constrained
    decoding cannot invent or skip one), and item lists that grow with the number of segments."""
    schema = copy.deepcopy(_BATCH_SCHEMA)
    props = schema["properties"]
    n = len(segment_ids)
    props["segments"] = {
        "type": "array",
        "minItems": n,
        "maxItems": n,
        "items": {
            "type": "object",
            "properties": {"id": {"enum": list(segment_ids)}, "summary": {"type": "string"}},
            "required": ["id", "summary"],
        },
    }
    for name, cap in _ITEM_CAPS.items():
        props[name]["maxItems"] = min(4 * cap, cap + n)
    props["answered_questions"]["maxItems"] = 6
    schema["required"] = ["segments", "overview"]
    return schema


def batch_segment_ids(schema: dict[str, Any]) -> list[str]:
    """The segment ids a batch schema asks for (what a test or bench model must answer)."""
    return list(schema["properties"]["segments"]["items"]["properties"]["id"]["enum"])


_BATCH_SCHEMA: dict[str, Any] = Batch.model_json_schema()

__all__ = [
    "ActionItem",
    "Batch",
    "Decision",
    "Extraction",
    "ItemKind",
    "Note",
    "SegmentSummary",
    "batch_schema",
    "batch_segment_ids",
    "extraction_schema",
]
