"""A fake Ollama server speaking the real HTTP API (`/api/chat`, `/api/generate`, `/api/show` ...)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.fakes.llm_http import (
    Exchange,
    FakeLLMServer,
    Reply,
    Responder,
    ResponderError,
    now_ns,
    prompt_text,
)


@dataclass(frozen=True)
class FakeModel:
    """What `/api/show` and `/api/tags` report about one model."""

    context_length: int = 131072
    parameter_size: str = "4.3B"
    quantization_level: str = "Q4_K_M"


class FakeOllama(FakeLLMServer):
    """Ollama on loopback. Models are `name -> FakeModel` (or a context length); unknown ones get 404."""

    version = "0.12.6"

    def __init__(
        self,
        *,
        models: Mapping[str, FakeModel | int] | None = None,
        responder: Responder | None = None,
    ) -> None:
        super().__init__(responder=responder)
        given = models if models is not None else {"gemma3:4b": FakeModel()}
        self.models = {
            _full_name(k): v if isinstance(v, FakeModel) else FakeModel(context_length=v)
            for k, v in given.items()
        }
        self._loaded: set[str] = set()

    def route(self, exchange: Exchange) -> None:
        routes = {
            ("GET", "/api/version"): lambda: exchange.send(200, {"version": self.version}),
            ("GET", "/api/tags"): lambda: exchange.send(200, {"models": [self._tag(n) for n in self.models]}),
            ("GET", "/api/ps"): lambda: exchange.send(200, {"models": [self._tag(n) for n in self._loaded]}),
            ("POST", "/api/show"): lambda: self._show(exchange),
            ("POST", "/api/chat"): lambda: self._generate(exchange, chat=True),
            ("POST", "/api/generate"): lambda: self._generate(exchange, chat=False),
        }
        handler = routes.get((exchange.method, exchange.path))
        if handler is None:
            exchange.send(404, "404 page not found", "text/plain")
        else:
            handler()

    def _show(self, exchange: Exchange) -> None:
        body = exchange.body if isinstance(exchange.body, dict) else {}
        name = _full_name(str(body.get("model") or body.get("name") or ""))
        model = self.models.get(name)
        if model is None:
            exchange.send(404, {"error": f"model '{name.removesuffix(':latest')}' not found"})
            return
        arch = _family(name)
        exchange.send(
            200,
            {
                "license": "Fake license",
                "modelfile": f"FROM {name}\n",
                "parameters": 'stop "<end_of_turn>"',
                "template": "{{ .Prompt }}",
                "details": self._details(name, model),
                "model_info": {
                    "general.architecture": arch,
                    "general.parameter_count": 4_300_000_000,
                    f"{arch}.context_length": model.context_length,
                    f"{arch}.embedding_length": 2560,
                },
                "capabilities": ["completion"],
                "modified_at": _timestamp(),
            },
        )

    def _generate(self, exchange: Exchange, *, chat: bool) -> None:
        body = exchange.body if isinstance(exchange.body, dict) else {}
        name = _full_name(str(body.get("model") or ""))
        if name not in self.models:
            shown = name.removesuffix(":latest")
            exchange.send(404, {"error": f'model "{shown}" not found, try pulling it first'})
            return
        if chat and not isinstance(body.get("messages", []), list):
            exchange.send(400, {"error": "messages must be an array"})
            return
        self._loaded.add(name)
        if not prompt_text(body):  # Ollama loads the model and answers at once.
            exchange.send(200, self._frame(name, chat, "", done=True) | {"done_reason": "load"})
            return
        started = now_ns()
        try:
            reply = self.answer(body)
        except ResponderError as err:
            exchange.send(err.status, {"error": err.message})
            return
        if body.get("stream", True):
            exchange.start_stream("application/x-ndjson", eager=False)
            count = 0
            try:
                for piece in self.paced(reply.pieces):
                    count += 1
                    exchange.chunk(json.dumps(self._frame(name, chat, piece, done=False)) + "\n")
            except ResponderError as err:  # Ollama reports failures after the first byte in-band.
                exchange.chunk(json.dumps({"error": err.message}) + "\n")
                exchange.end_stream()
                return
            final = self._frame(name, chat, "", done=True) | self._stats(body, reply, count, started)
            exchange.chunk(json.dumps(final) + "\n")
            exchange.end_stream()
        else:
            try:
                pieces = list(self.paced(reply.pieces))
            except ResponderError as err:
                exchange.send(err.status, {"error": err.message})
                return
            frame = self._frame(name, chat, "".join(pieces), done=True)
            exchange.send(200, frame | self._stats(body, reply, len(pieces), started))

    def _frame(self, name: str, chat: bool, text: str, *, done: bool) -> dict[str, Any]:
        content = {"message": {"role": "assistant", "content": text}} if chat else {"response": text}
        return {"model": name, "created_at": _timestamp(), **content, "done": done}

    @staticmethod
    def _stats(body: dict[str, Any], reply: Reply, count: int, started: int) -> dict[str, Any]:
        total = now_ns() - started
        return {
            "done_reason": reply.done_reason,
            "total_duration": total,
            "load_duration": 1_000_000,
            "prompt_eval_count": reply.prompt_tokens or len(prompt_text(body).split()),
            "prompt_eval_duration": total // 4,
            "eval_count": reply.completion_tokens or count,
            "eval_duration": total - total // 4,
        }

    def _tag(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": _timestamp(),
            "size": 3_338_801_804,
            "digest": "a2af6cc3eb7fa8be8504abaf9b04e88f17a119ec3f04a3addf55f92841195f5a",
            "details": self._details(name, self.models[name]),
        }

    @staticmethod
    def _details(name: str, model: FakeModel) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": _family(name),
            "families": [_family(name)],
            "parameter_size": model.parameter_size,
            "quantization_level": model.quantization_level,
        }


def _full_name(name: str) -> str:
    """Ollama's normal form: `gemma3` means `gemma3:latest`."""
    return name if ":" in name or not name else f"{name}:latest"


def _family(name: str) -> str:
    match = re.match(r"[a-z]+\d*", name)
    return match.group(0) if match else "llama"


def _timestamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


__all__ = ["FakeModel", "FakeOllama"]
