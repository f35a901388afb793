"""An Ollama-API shim over `llama_cpp.Llama`: FakeOllama answering from a real model (llama.cpp has none)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.fakes.fake_ollama import FakeModel, FakeOllama
from tests.fakes.llm_http import Reply, ResponderError

SHIM_MODEL = "gemma3:270m"
OLLAMA_DEFAULT_TEMPERATURE = 0.8
OLLAMA_DEFAULT_NUM_PREDICT = 128  # Ollama's -1 means "until the context is full"; keep tests short.


def load_llama(model_path: Path, *, n_ctx: int = 2048, chat_format: str = "gemma") -> Any:
    """Load a GGUF in-process with the measured recipe (2 threads, no full-vocabulary logits)."""
    from llama_cpp import Llama

    return Llama(
        model_path=str(model_path),
        n_ctx=n_ctx,
        n_threads=2,
        n_threads_batch=2,
        chat_format=chat_format,
        logits_all=False,
        verbose=False,
    )


class LlamaResponder:
    """A FakeOllama responder that runs a real model: Ollama's options, `format` as a JSON-schema grammar,
    token-by-token streaming and true token counts.

    Like Ollama, an over-long prompt is not refused: its oldest tokens are dropped (after BOS) so that it
    fits the window with room to answer.
    """

    def __init__(self, llm: Any, *, formatter: Callable[..., Any] | None = None) -> None:
        from llama_cpp.llama_chat_format import format_gemma

        self.llm = llm
        self.formatter = formatter or format_gemma
        self._lock = threading.Lock()  # One Llama decodes one sequence at a time.
        self.truncations: list[tuple[int, int]] = []

    def __call__(self, body: dict[str, Any]) -> Reply:
        options = body.get("options") or {}
        num_predict = int(options.get("num_predict") or OLLAMA_DEFAULT_NUM_PREDICT)
        max_tokens = num_predict if num_predict > 0 else OLLAMA_DEFAULT_NUM_PREDICT
        formatted = self.formatter(messages=_chat_messages(body))
        tokens = self.llm.tokenize(
            formatted.prompt.encode(), add_bos=not getattr(formatted, "added_special", False), special=True
        )
        tokens = self._fit(tokens, max_tokens)
        reply = Reply(pieces=(), prompt_tokens=len(tokens), completion_tokens=0)
        reply.pieces = self._generate(reply, tokens, max_tokens, formatted.stop, body, options)
        return reply

    def _fit(self, tokens: list[int], max_tokens: int) -> list[int]:
        n_ctx = self.llm.n_ctx()
        room = min(max_tokens, n_ctx // 4)
        if len(tokens) + room <= n_ctx:
            return tokens
        kept = tokens[:1] + tokens[len(tokens) - (n_ctx - room - 1) :]
        self.truncations.append((len(tokens), len(kept)))
        return kept

    def _generate(
        self,
        reply: Reply,
        tokens: list[int],
        max_tokens: int,
        stop: Any,
        body: dict[str, Any],
        options: dict[str, Any],
    ) -> Iterator[str]:
        from llama_cpp import LogitsProcessorList

        fmt = body.get("format")
        grammar = strict_json_grammar(fmt if isinstance(fmt, dict) else {"type": "object"}) if fmt else None

        def count(_ids: Any, scores: Any) -> Any:
            reply.completion_tokens = (reply.completion_tokens or 0) + 1
            return scores

        with self._lock:
            try:
                chunks = self.llm.create_completion(
                    prompt=tokens,
                    max_tokens=min(max_tokens, self.llm.n_ctx() - len(tokens)),
                    temperature=float(options.get("temperature", OLLAMA_DEFAULT_TEMPERATURE)),
                    seed=options.get("seed"),
                    stop=options.get("stop") or stop,
                    grammar=grammar,
                    logits_processor=LogitsProcessorList([count]),
                    stream=True,
                )
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    if choice.get("finish_reason"):
                        reply.done_reason = choice["finish_reason"]
                    if choice["text"]:
                        yield choice["text"]
            except ValueError as err:
                raise ResponderError(500, str(err)) from None


def strict_json_grammar(schema: dict[str, Any]) -> Any:
    """A grammar for `schema` that, like llama.cpp's own converter (used by Ollama), keeps raw control
    characters out of strings; llama-cpp-python's converter allows them, which strict JSON parsers reject."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(json.dumps(schema))
    return LlamaGrammar.from_string(
        gbnf.replace('char ::= [^"\\\\]', 'char ::= [^"\\\\\\x7F\\x00-\\x1F]'), verbose=False
    )


def _chat_messages(body: dict[str, Any]) -> list[dict[str, str]]:
    """Chat messages of a chat or generate body, the system text folded into the first user turn as
    Ollama's Gemma template does (Gemma has no system role)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        messages = [{"role": "user", "content": str(body.get("prompt") or "")}]
        if body.get("system"):
            messages.insert(0, {"role": "system", "content": str(body["system"])})
    system = "\n\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")
    turns = [
        {"role": str(m.get("role")), "content": str(m.get("content") or "")}
        for m in messages
        if m.get("role") != "system"
    ]
    if system and turns and turns[0]["role"] == "user":
        turns[0]["content"] = f"{system}\n\n{turns[0]['content']}"
    elif system:
        turns.insert(0, {"role": "user", "content": system})
    return turns


def make_ollama_shim(llm: Any, *, model: str = SHIM_MODEL) -> FakeOllama:
    """A FakeOllama serving `model` from `llm`; `/api/show` reports the Llama's real context window."""
    return FakeOllama(
        models={model: FakeModel(context_length=llm.n_ctx(), parameter_size="268M")},
        responder=LlamaResponder(llm),
    )


__all__ = ["SHIM_MODEL", "LlamaResponder", "load_llama", "make_ollama_shim", "strict_json_grammar"]
