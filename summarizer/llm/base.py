"""The one interface every LLM backend implements."""

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatResult:
    """A finished, non-streamed answer with the token counts the server reported (0 when unknown)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class ModelInfo:
    """What the backend knows about the model. `context_length` is the window Kiok may fill."""

    name: str
    context_length: int


class LLMClient(ABC):
    """A chat model behind some server.

    Implementations translate every transport error into `summarizer.errors` types, apply a connect
    timeout and an *idle* timeout (time without any bytes from the server), never one total deadline.
    """

    @abstractmethod
    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        """One complete answer. With `json_schema` the server constrains output to that schema."""

    @abstractmethod
    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        """Yield the answer as text deltas while the model produces them."""

    def count_tokens(self, texts: Sequence[str]) -> list[int] | None:
        """Each text's length in the model's own tokens, or None when the server cannot say (Ollama has no
        tokenize API): callers then rely on the estimate in `summarizer.tokens`."""
        return None

    @abstractmethod
    def model_info(self) -> ModelInfo:
        """Name and usable context length; raises ModelNotFound when the server lacks the model."""
