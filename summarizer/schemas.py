"""What the model must return when it summarizes a stretch of conversation (JSON, schema-checked).

List lengths are bounded in the schema (constrained decoding stays small and fast); string lengths are
not — a `maxLength` of hundreds of characters makes llama.cpp's grammar too large to parse — so long
strings are cut to size after parsing instead of failing validation.
"""

from typing import Annotated, Literal

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
        description="Ids (D1, D2…) of earlier decisions this one reverses.",
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


__all__ = ["ActionItem", "Decision", "Extraction", "ItemKind", "Note", "extraction_schema"]
