"""Ollama backend, through the official `ollama` package."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from json import JSONDecodeError
from typing import Any

import httpx
import ollama
import pydantic

from summarizer.config import LLMSettings
from summarizer.errors import LLMBadRequest, LLMError, LLMTimeout, LLMUnavailable, ModelNotFound
from summarizer.llm.base import ChatMessage, ChatResult, LLMClient, ModelInfo


class OllamaClient(LLMClient):
    """Chat with a model served by `ollama serve`.

    Every answer is streamed on the wire, `chat()` included: Ollama sends nothing until a non-streamed
    answer is complete, so only streaming keeps the idle timeout from turning into a total deadline.
    """

    def __init__(self, *, settings: LLMSettings) -> None:
        self._settings = settings
        self._url = settings.url
        headers = (
            {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"} if settings.api_key else {}
        )
        self._client = ollama.Client(
            host=self._url,
            headers=headers,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.idle_timeout,
                write=settings.idle_timeout,
                pool=settings.connect_timeout,
            ),
            # httpx retries only failed connection attempts, never a request the server accepted.
            transport=httpx.HTTPTransport(retries=settings.max_retries),
        )
        self._info: ModelInfo | None = None

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        parts: list[str] = []
        prompt_tokens = completion_tokens = 0
        for chunk in self._stream(messages, max_tokens, temperature, json_schema):
            parts.append(chunk.message.content or "")
            if chunk.done:
                prompt_tokens = chunk.prompt_eval_count or 0
                completion_tokens = chunk.eval_count or 0
        return ChatResult("".join(parts), prompt_tokens, completion_tokens)

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        for chunk in self._stream(messages, max_tokens, temperature, None):
            if chunk.message.content:
                yield chunk.message.content

    def model_info(self) -> ModelInfo:
        """Ask `/api/show` once; the usable window is `num_ctx` capped at the model's trained length."""
        if self._info is None:
            with self._translated():
                shown = self._client.show(self._settings.model)
            trained = trained_context_length(shown.modelinfo or {})
            limit = self._settings.num_ctx if trained is None else min(self._settings.num_ctx, trained)
            self._info = ModelInfo(name=self._settings.model, context_length=limit)
        return self._info

    def close(self) -> None:
        """Release pooled connections."""
        close: Callable[[], None] = self._client.close  # untyped in `ollama`
        close()

    def _stream(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        temperature: float | None,
        json_schema: dict[str, Any] | None,
    ) -> Iterator[ollama.ChatResponse]:
        settings = self._settings
        options = {
            "num_ctx": self.model_info().context_length,
            "temperature": settings.temperature if temperature is None else temperature,
            "num_predict": settings.max_answer_tokens if max_tokens is None else max_tokens,
        }
        with self._translated():
            yield from self._client.chat(
                model=settings.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                format=json_schema,
                options=options,
                keep_alive=settings.keep_alive,
            )

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn `ollama`/`httpx` exceptions raised inside the block into `summarizer.errors`."""
        try:
            yield
        except ollama.ResponseError as err:
            raise self._response_error(err) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError):
            raise LLMUnavailable(
                f"Cannot reach Ollama at {self._url} — is `ollama serve` running? (KIOK_LLM__BASE_URL)"
            ) from None
        except httpx.TimeoutException:
            raise LLMTimeout(
                f"Ollama at {self._url} sent nothing for {self._settings.idle_timeout:g} s "
                "(KIOK_LLM__IDLE_TIMEOUT): the model may still be loading or the machine is overloaded"
            ) from None
        except httpx.TransportError as err:
            raise LLMUnavailable(
                f"Ollama at {self._url} dropped the connection mid-answer ({type(err).__name__}: {err})"
            ) from None
        except (JSONDecodeError, pydantic.ValidationError):
            raise LLMUnavailable(
                f"The server at {self._url} does not answer like Ollama; check KIOK_LLM__BASE_URL, or set "
                "KIOK_LLM__PROVIDER=openai for an OpenAI-compatible server"
            ) from None

    def _response_error(self, err: ollama.ResponseError) -> LLMError:
        model, status, reason = self._settings.model, err.status_code, err.error
        if status == 404 and "model" in reason.lower():
            return ModelNotFound(f"model {model} is not pulled: run `ollama pull {model}`")
        if status == 404:
            return LLMUnavailable(
                f"{self._url} answered 404 ({reason}), so it is not Ollama: check KIOK_LLM__BASE_URL, "
                "or set KIOK_LLM__PROVIDER=openai for an OpenAI-compatible server"
            )
        if status in (401, 403):
            return LLMBadRequest(
                f"Ollama at {self._url} refused the credentials ({reason}): set KIOK_LLM__API_KEY"
            )
        if status == -1:  # An error line inside a 200 stream: the runner failed mid-answer.
            return LLMUnavailable(f"Ollama at {self._url} failed mid-answer: {reason}")
        if status >= 500:
            return LLMUnavailable(f"Ollama at {self._url} failed with HTTP {status}: {reason}")
        return LLMBadRequest(f"Ollama refused the request (HTTP {status}): {reason}")


def trained_context_length(model_info: Mapping[str, Any]) -> int | None:
    """The `<arch>.context_length` entry of `/api/show`'s model_info, or None when absent."""
    arch = model_info.get("general.architecture")
    value = model_info.get(f"{arch}.context_length")
    if value is None:
        value = next((v for k, v in model_info.items() if k.endswith(".context_length")), None)
    return value if isinstance(value, int) and value > 0 else None


__all__ = ["OllamaClient", "trained_context_length"]
