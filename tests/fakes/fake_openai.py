"""A fake OpenAI-compatible server speaking the real HTTP API (`/v1/chat/completions`, `/v1/models`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakes.llm_http import Exchange, FakeLLMServer, Responder, ResponderError, prompt_text


def openai_error(message: str, *, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    """An error body shaped like OpenAI's."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class FakeOpenAI(FakeLLMServer):
    """An OpenAI-compatible server on loopback, rooted at `/v1` (use `base_url`).

    `models` maps ids to extra `/v1/models` fields (vLLM adds `max_model_len`); with `api_key` set,
    requests without `Authorization: Bearer <api_key>` get 401. A responder failing mid-stream yields an
    error event (OpenAI, vLLM), or with `silent_stream_errors` just ends the stream (llama-cpp-python).
    """

    def __init__(
        self,
        *,
        models: Mapping[str, Mapping[str, Any]] | Iterable[str] = ("gemma-3-270m",),
        api_key: str | None = None,
        responder: Responder | None = None,
    ) -> None:
        super().__init__(responder=responder)
        self.models = dict(models) if isinstance(models, Mapping) else {m: {} for m in models}
        self.api_key = api_key
        self.silent_stream_errors = False
        self._counter = 0
        # Which server's tokenize endpoint to serve ("llama-cpp-python", "llama-server", "vllm"; None: none),
        # counting one token per character.
        self.tokenizer: str | None = None
        self.tokenize_drops = 0  # tokenize requests to answer by closing the socket (a server restarting)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def route(self, exchange: Exchange) -> None:
        if self.api_key and exchange.handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            message = "Incorrect API key provided. You can find your API key in your server's settings."
            exchange.send(401, openai_error(message, type_="invalid_request_error", code="invalid_api_key"))
        elif (exchange.method, exchange.path) == ("GET", "/v1/models"):
            exchange.send(200, {"object": "list", "data": [self._model(m) for m in self.models]})
        elif exchange.method == "GET" and exchange.path.startswith("/v1/models/"):
            self._one_model(exchange, exchange.path.removeprefix("/v1/models/"))
        elif (exchange.method, exchange.path) == ("POST", "/v1/chat/completions"):
            self._completion(exchange)
        elif exchange.method == "POST" and self._tokenize(exchange):
            pass
        else:
            exchange.send(404, {"detail": "Not Found"})

    def _tokenize(self, exchange: Exchange) -> bool:
        """The tokenize endpoints as each server shapes them; False where this server has none."""
        if exchange.path in ("/extras/tokenize", "/tokenize") and self.tokenize_drops > 0:
            self.tokenize_drops -= 1
            exchange.drop()
            return True
        body = exchange.body if isinstance(exchange.body, dict) else {}
        wanted = {
            "llama-cpp-python": ("/extras/tokenize", "input"),
            "llama-server": ("/tokenize", "content"),
            "vllm": ("/tokenize", "prompt"),
        }.get(self.tokenizer or "")
        if wanted is None or exchange.path != wanted[0]:
            return False
        if not isinstance(body.get(wanted[1]), str):
            exchange.send(422, {"detail": [{"loc": ["body", wanted[1]], "msg": "Field required"}]})
            return True
        tokens = list(range(len(body[wanted[1]])))
        count = {"count": len(tokens), "max_model_len": 8192} if self.tokenizer == "vllm" else {}
        exchange.send(200, {"tokens": tokens, **count})
        return True

    def _model(self, name: str) -> dict[str, Any]:
        return {
            "id": name,
            "object": "model",
            "created": 1_700_000_000,
            "owned_by": "kiok-fake",
            **self.models[name],
        }

    def _one_model(self, exchange: Exchange, name: str) -> None:
        if name in self.models:
            exchange.send(200, self._model(name))
        else:
            exchange.send(404, self._missing(name))

    @staticmethod
    def _missing(name: str) -> dict[str, Any]:
        message = f"The model `{name}` does not exist or you do not have access to it."
        return openai_error(message, type_="invalid_request_error", code="model_not_found")

    def _completion(self, exchange: Exchange) -> None:
        body = exchange.body if isinstance(exchange.body, dict) else {}
        name = str(body.get("model") or "")
        if name not in self.models:
            exchange.send(404, self._missing(name))
            return
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            message = "'messages' must be a non-empty array"
            exchange.send(
                400, openai_error(message, type_="invalid_request_error", code=None, param="messages")
            )
            return
        try:
            reply = self.answer(body)
        except ResponderError as err:
            exchange.send(err.status, openai_error(err.message, type_="invalid_request_error", code=None))
            return
        self._counter += 1
        base = {"id": f"chatcmpl-fake{self._counter}", "created": int(time.time()), "model": name}
        if body.get("stream"):
            self._stream(exchange, body, base, reply.pieces, reply.prompt_tokens, reply.completion_tokens)
            return
        try:
            pieces = list(self.paced(reply.pieces))
        except ResponderError as err:
            exchange.send(err.status, openai_error(err.message, type_="server_error", code=None))
            return
        usage = _usage(body, reply.prompt_tokens, reply.completion_tokens or len(pieces))
        answer = {"role": "assistant", "content": "".join(pieces)}
        choice = {"index": 0, "message": answer, "logprobs": None, "finish_reason": reply.done_reason}
        exchange.send(200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage})

    def _stream(
        self,
        exchange: Exchange,
        body: dict[str, Any],
        base: dict[str, Any],
        pieces: Iterable[str],
        prompt_tokens: int | None,
        completion_tokens: int | None,
    ) -> None:
        exchange.start_stream("text/event-stream; charset=utf-8", eager=True)

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            chunk = {**base, "object": "chat.completion.chunk", "choices": [choice]}
            exchange.chunk(f"data: {json.dumps(chunk)}\n\n")

        count = 0
        try:
            for piece in self.paced(pieces):
                if count == 0:
                    event({"role": "assistant", "content": ""})
                count += 1
                event({"content": piece})
        except ResponderError as err:
            if not self.silent_stream_errors:
                error = {"message": err.message, "type": "server_error", "param": None, "code": None}
                exchange.chunk(f"data: {json.dumps({'error': error})}\n\n")
            exchange.end_stream()
            return
        if count == 0:
            event({"role": "assistant", "content": ""})
        event({}, "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = _usage(body, prompt_tokens, completion_tokens or count)
            chunk = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            exchange.chunk(f"data: {json.dumps(chunk)}\n\n")
        exchange.chunk("data: [DONE]\n\n")
        exchange.end_stream()


def _usage(body: dict[str, Any], prompt_tokens: int | None, completion_tokens: int) -> dict[str, int]:
    prompt = prompt_tokens or len(prompt_text(body).split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


__all__ = ["FakeOpenAI", "openai_error"]
