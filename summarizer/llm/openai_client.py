"""OpenAI-compatible backend (llama.cpp server, vLLM ...), through the official `openai` package."""

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import openai

from summarizer.config import LLMSettings
from summarizer.errors import LLMBadRequest, LLMError, LLMTimeout, LLMUnavailable, ModelNotFound
from summarizer.llm.base import ChatMessage, ChatResult, LLMClient, ModelInfo

FALLBACK_CONTEXT_LENGTH = 4096
# Tokenize endpoints at the server's root, tried in order (the first that answers is kept):
_TOKENIZE: tuple[tuple[str, Callable[[str, str], dict[str, str]]], ...] = (
    ("/extras/tokenize", lambda _model, text: {"input": text}),  # llama-cpp-python
    ("/tokenize", lambda _model, text: {"content": text}),  # llama.cpp's llama-server
    ("/tokenize", lambda model, text: {"model": model, "prompt": text}),  # vLLM
)
log = logging.getLogger(__name__)


class OpenAICompatibleClient(LLMClient):
    """Chat with any server that speaks `/v1/chat/completions`.

    Every answer is streamed on the wire, `chat()` included, so the idle timeout never becomes a total
    deadline. Retries are the `openai` package's own, `max_retries` times, and only before the answer
    starts: failed connections, timeouts waiting for the response headers, 408/409/429/5xx.
    """

    def __init__(self, *, settings: LLMSettings) -> None:
        self._settings = settings
        self._url = settings.url
        self._client = openai.OpenAI(
            base_url=self._url,
            api_key=settings.api_key.get_secret_value() if settings.api_key else "not-needed",
            timeout=openai.Timeout(
                connect=settings.connect_timeout,
                read=settings.idle_timeout,
                write=settings.idle_timeout,
                pool=settings.connect_timeout,
            ),
            max_retries=settings.max_retries,
        )
        self._info: ModelInfo | None = None
        self._json_object_mode = False
        self._tokenize: int | None = None  # index into _TOKENIZE once one answered; -1: the server has none

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
            if chunk.choices:
                parts.append(chunk.choices[0].delta.content or "")
            if chunk.usage is not None:
                prompt_tokens = chunk.usage.prompt_tokens
                completion_tokens = chunk.usage.completion_tokens
        return ChatResult("".join(parts), prompt_tokens, completion_tokens)

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        for chunk in self._stream(messages, max_tokens, temperature, None):
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    def model_info(self) -> ModelInfo:
        """The usable window: `num_ctx` capped at the server's limit.

        The limit is KIOK_LLM__CONTEXT_WINDOW when set, else what `/v1/models` reports (vLLM's
        `max_model_len`), else a conservative 4096: most servers do not report it, and guessing too
        high makes them refuse or silently truncate long prompts.
        """
        if self._info is None:
            limit = (
                self._settings.context_window or self._reported_context_length() or FALLBACK_CONTEXT_LENGTH
            )
            self._info = ModelInfo(self._settings.model, min(self._settings.num_ctx, limit))
        return self._info

    def count_tokens(self, texts: Sequence[str]) -> list[int] | None:
        """Counts from the server's tokenize endpoint (llama-cpp-python, llama-server, vLLM); None when it
        has none (found out once: every form refused) or cannot be reached now (asked again next time)."""
        if self._tokenize == -1:
            return None
        root = re.sub(r"/v1/?$", "", self._url.rstrip("/"))
        settings = self._settings
        key = settings.api_key.get_secret_value() if settings.api_key else ""
        timeout = httpx.Timeout(settings.idle_timeout, connect=settings.connect_timeout)
        tried = [self._tokenize] if self._tokenize is not None else range(len(_TOKENIZE))
        with httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {key}"} if key else {}) as http:
            for index in tried:
                path, body = _TOKENIZE[index]
                try:
                    counts = [
                        _token_count(http.post(root + path, json=body(settings.model, t))) for t in texts
                    ]
                except (httpx.HTTPStatusError, ValueError, KeyError, TypeError):
                    continue  # refused, or an answer of another shape: not this form
                except httpx.HTTPError:
                    return None  # unreachable now: says nothing about the endpoint
                self._tokenize = index
                return counts
        if self._tokenize is None:
            self._tokenize = -1
            log.info("%s has no tokenize endpoint: prompts are sized by Kiok's estimate", root)
        return None

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def _stream(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        temperature: float | None,
        json_schema: dict[str, Any] | None,
    ) -> Iterator[openai.types.chat.ChatCompletionChunk]:
        settings = self._settings
        request: dict[str, Any] = {
            "model": settings.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": settings.max_answer_tokens if max_tokens is None else max_tokens,
            "temperature": settings.temperature if temperature is None else temperature,
            "stream_options": {"include_usage": True},
        }
        if json_schema is not None:
            request["response_format"] = self._response_format(json_schema)
        with self._translated():
            try:
                stream = self._client.chat.completions.create(stream=True, **request)
            except openai.APIStatusError as err:
                if json_schema is None or not self._refused_json_schema(err):
                    raise
                self._json_object_mode = True
                request["response_format"] = self._response_format(json_schema)
                stream = self._client.chat.completions.create(stream=True, **request)
            with stream:
                seen = finished = False
                for chunk in stream:
                    seen = True
                    finished = finished or any(c.finish_reason for c in chunk.choices)
                    yield chunk
        if not seen:
            raise LLMBadRequest(
                f"The server at {self._url} closed the stream without answering; llama-cpp-python does "
                "this when the prompt is longer than its context window (KIOK_LLM__CONTEXT_WINDOW)"
            )
        if not finished:
            raise LLMUnavailable(f"The server at {self._url} stopped mid-answer without a finish reason")

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        """OpenAI's `json_schema` form, or the `json_object` + `schema` form that some servers require."""
        if self._json_object_mode:
            return {"type": "json_object", "schema": schema}
        name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "answer"))[:64]
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}

    def _refused_json_schema(self, err: openai.APIStatusError) -> bool:
        """llama-cpp-python's server rejects `type: json_schema` while accepting `json_object` + schema."""
        return (
            not self._json_object_mode
            and err.status_code in (400, 422, 500)
            and "response_format" in err.response.text
        )

    def _reported_context_length(self) -> int | None:
        """vLLM lists `max_model_len` per model in `/v1/models`; None when the server does not say."""
        for entry in self._server_models(raw=True):
            if isinstance(entry, dict) and entry.get("id") == self._settings.model:
                value = entry.get("max_model_len")
                return value if isinstance(value, int) and value > 0 else None
        return None

    def _server_models(self, *, raw: bool = False) -> list[Any]:
        """`/v1/models` entries (dicts when raw, else ids); empty when the server cannot list them."""
        try:
            page = self._client.with_options(max_retries=0).models.list()
        except (openai.OpenAIError, httpx.HTTPError):
            return []
        return [m.model_dump() if raw else m.id for m in page.data]

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn `openai`/`httpx` exceptions raised inside the block into `summarizer.errors`."""
        try:
            yield
        except openai.APIStatusError as err:
            raise self._status_error(err) from None
        except openai.APITimeoutError as err:
            if type(err.__cause__).__name__ == "ConnectTimeout":
                raise self._unreachable() from None
            raise self._timeout() from None
        except openai.APIConnectionError as err:
            if type(err.__cause__).__name__ == "ConnectError":
                raise self._unreachable() from None
            raise self._dropped(err.__cause__ or err) from None
        except openai.APIError as err:  # An error event inside a 200 stream.
            raise LLMUnavailable(f"The server at {self._url} failed mid-answer: {err.message}") from None
        # openai<3 lets httpx's own exceptions escape from a stream that breaks after it began.
        except httpx.ConnectError:
            raise self._unreachable() from None
        except httpx.TimeoutException:
            raise self._timeout() from None
        except httpx.TransportError as err:
            raise self._dropped(err) from None

    def _unreachable(self) -> LLMUnavailable:
        return LLMUnavailable(
            f"Cannot reach the OpenAI-compatible server at {self._url} — is it running? (KIOK_LLM__BASE_URL)"
        )

    def _timeout(self) -> LLMTimeout:
        return LLMTimeout(
            f"The server at {self._url} sent nothing for {self._settings.idle_timeout:g} s "
            "(KIOK_LLM__IDLE_TIMEOUT): the model may still be loading or the machine is overloaded"
        )

    def _dropped(self, cause: BaseException) -> LLMUnavailable:
        return LLMUnavailable(
            f"The server at {self._url} dropped the connection mid-answer ({type(cause).__name__}: {cause})"
        )

    def _status_error(self, err: openai.APIStatusError) -> LLMError:
        status, reason, model = err.status_code, server_message(err), self._settings.model
        if status == 404:
            served = self._server_models()
            if not served and "model" not in reason.lower():
                return LLMUnavailable(
                    f"{self._url} has no OpenAI-compatible API ({reason}): check KIOK_LLM__BASE_URL "
                    "(it usually ends in /v1)"
                )
            listing = f"; it serves: {', '.join(served)}" if served else ""
            return ModelNotFound(f"{self._url} has no model {model!r} (KIOK_LLM__MODEL){listing}")
        if status in (401, 403):
            return LLMBadRequest(
                f"The server at {self._url} refused the API key ({reason}): set KIOK_LLM__API_KEY"
            )
        if status == 429 or status >= 500:
            return LLMUnavailable(f"The server at {self._url} failed with HTTP {status}: {reason}")
        return LLMBadRequest(f"The server refused the request (HTTP {status}): {reason}")


def server_message(err: openai.APIStatusError) -> str:
    """The human part of an error body: OpenAI's `error.message`, vLLM's `message`, FastAPI's `detail`."""
    body = err.body
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    elif isinstance(body, str) and body:
        return body
    return err.response.text[:500] or err.message


def _token_count(response: httpx.Response) -> int:
    response.raise_for_status()
    data = response.json()
    count = data.get("count")
    return count if isinstance(count, int) else len(data["tokens"])


__all__ = ["FALLBACK_CONTEXT_LENGTH", "OpenAICompatibleClient", "server_message"]
