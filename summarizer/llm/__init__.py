"""LLM clients: one interface, one implementation per kind of server, picked by `KIOK_LLM__PROVIDER`."""

from collections.abc import Callable

from summarizer.config import LLMSettings
from summarizer.llm.base import ChatMessage, ChatResult, LLMClient, ModelInfo, Role


def _ollama(settings: LLMSettings) -> LLMClient:
    from summarizer.llm.ollama_client import OllamaClient

    return OllamaClient(settings=settings)


def _openai(settings: LLMSettings) -> LLMClient:
    from summarizer.llm.openai_client import OpenAICompatibleClient

    return OpenAICompatibleClient(settings=settings)


_FACTORIES: dict[str, Callable[[LLMSettings], LLMClient]] = {"ollama": _ollama, "openai": _openai}


def make_llm_client(settings: LLMSettings) -> LLMClient:
    """Build the client that `settings.provider` names; the backend's library is imported only here."""
    try:
        factory = _FACTORIES[settings.provider]
    except KeyError:
        valid = ", ".join(sorted(_FACTORIES))
        raise ValueError(
            f"unknown LLM provider {settings.provider!r}: KIOK_LLM__PROVIDER must be one of {valid}"
        ) from None
    return factory(settings)


__all__ = ["ChatMessage", "ChatResult", "LLMClient", "ModelInfo", "Role", "make_llm_client"]
