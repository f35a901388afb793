"""Settings for the language-model backend (nested in the app's Settings as `llm`)."""

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

LLMProvider = Literal["ollama", "openai"]

DEFAULT_BASE_URLS: dict[str, str] = {
    "ollama": "http://127.0.0.1:11434",
    "openai": "http://127.0.0.1:8080/v1",
}


class LLMSettings(BaseModel):
    """Which model answers, where it runs, and how long to wait for it."""

    model_config = ConfigDict(hide_input_in_errors=True)  # never echo an API key in an error

    provider: LLMProvider = Field(
        "ollama", description="`ollama`, or `openai` for any OpenAI-compatible server (vLLM, llama.cpp)."
    )
    base_url: str | None = Field(
        None,
        description="Server URL. Default: http://127.0.0.1:11434 (ollama), :8080/v1 (openai).",
    )
    model: str = Field("gemma3:4b", description="Model name as the server knows it.")
    api_key: SecretStr | None = Field(None, description="Bearer key for OpenAI-compatible servers, if any.")
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to wait for a TCP connection.")
    idle_timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds the server may stay silent (before the first token or between tokens).",
    )
    keep_alive: str = Field("30m", description="Ollama: how long the model stays loaded after a request.")
    num_ctx: int = Field(
        8192, ge=512, description="Context window to request; capped at what the model supports."
    )
    context_window: int | None = Field(
        None,
        ge=512,
        description="OpenAI-compatible servers: the model's context length (they do not report it).",
    )
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    max_answer_tokens: int = Field(1024, ge=16, description="Upper bound on tokens in one answer.")
    max_retries: int = Field(1, ge=0, le=10, description="Retries for failed connections (not timeouts).")
    concurrency: int = Field(
        1, ge=1, le=64, description="Answers generated at once (the server's parallel slots)."
    )
    answer_timeout: float = Field(
        300.0,
        gt=0,
        description="Seconds from a question to its finished answer, waiting in line included; then the "
        "asker is told why and what the model wrote so far is kept.",
    )
    queue_limit: int = Field(
        500, ge=1, description="Questions that may wait for the model at once; more are turned away."
    )

    @model_validator(mode="after")
    def _check(self) -> "LLMSettings":
        if not self.model.strip():
            raise ValueError("KIOK_LLM__MODEL is empty: set it to a model name, e.g. gemma3:4b")
        return self

    @property
    def url(self) -> str:
        """The base URL to use, with the provider's default filled in."""
        return (self.base_url or DEFAULT_BASE_URLS[self.provider]).rstrip("/")


class SummarySettings(BaseModel):
    """When and how conversation is summarized into durable memory."""

    thread_idle_minutes: int = Field(60, ge=1, description="A thread is summarized once quiet this long.")
    timezone: str = Field(
        "UTC", description="Time zone of day/week boundaries and relative dates (IANA name)."
    )
    brief_tokens: int = Field(600, ge=100, le=4000, description="Size limit of a channel's project brief.")
    max_output_tokens: int = Field(
        1200,
        ge=100,
        description=(
            "Upper bound on one summarization answer (capped at a quarter of the model's window). A batch "
            "call holds as many segments as their summaries fit in it (about 45 tokens each)."
        ),
    )
    workers: int = Field(
        1, ge=0, le=8, description="Background summarization workers (0 = only `kiok summarize`)."
    )
    tick_seconds: int = Field(60, ge=5, description="How often the bot looks for conversation to summarize.")
    digest_catch_up_seconds: float = Field(
        120,
        ge=0,
        le=3600,
        description=(
            "Before a scheduled digest, the channel's ready conversation is summarized whatever the batch "
            "thresholds, waiting at most this long (0 = post with what is already summarized)."
        ),
    )
    live_items: int = Field(
        6,
        ge=0,
        le=50,
        description=(
            "Most current decisions, action items and open questions listed to the model per call (those "
            "sharing distinctive words with a new message first, then the newest), so it can mark what is "
            "reversed or done. The listing is paid on every call, at about 25 tokens an item."
        ),
    )
    batch_min_tokens: int = Field(
        1500,
        ge=0,
        description=(
            "A channel's ready conversation (quiet thread segments, finished days) is summarized in one "
            "batch once its text reaches this many tokens. Each call pays a fixed prompt (~240 tokens plus "
            "the listed items) and every message costs ~1.3x its text (author, number, resolved dates), so "
            "a batch of 1,500 tokens costs ~1.5x its text; larger is cheaper, but busy channels wait longer."
        ),
    )
    batch_max_wait_hours: float = Field(
        72.0,
        ge=0,
        description=(
            "...or once its oldest ready segment has waited this long, however little text there is: the "
            "most a quiet channel's summaries and brief lag behind. Quiet channels pay the fixed prompt for "
            "what a few days bring: on ~10 messages a channel a day (bench.summarizer_cost) input costs "
            "2.9x the text at 24 h, 2.0x at 72 h, 1.8x at 168 h; at ~40 a day 1.5x at 72 h. "
            "0 = summarize whatever is ready at once."
        ),
    )
    job_lease_seconds: float = Field(
        120.0, ge=1, description="A job whose worker stops heartbeating this long is taken over by another."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Asia/Seoul") from None
        return value


__all__ = ["DEFAULT_BASE_URLS", "LLMProvider", "LLMSettings", "SummarySettings"]
