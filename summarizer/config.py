"""Settings for the language-model backend (nested in the app's Settings as `llm`)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

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

    @model_validator(mode="after")
    def _check(self) -> "LLMSettings":
        if not self.model.strip():
            raise ValueError("KIOK_LLM__MODEL is empty: set it to a model name, e.g. gemma3:4b")
        return self

    @property
    def url(self) -> str:
        """The base URL to use, with the provider's default filled in."""
        return (self.base_url or DEFAULT_BASE_URLS[self.provider]).rstrip("/")


__all__ = ["DEFAULT_BASE_URLS", "LLMProvider", "LLMSettings"]
