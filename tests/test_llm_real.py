"""Both LLM clients against real llama.cpp running Gemma 3 270M: llama-cpp-python's OpenAI server and
the Ollama-API shim over `llama_cpp.Llama`.

The model is a base model that writes nonsense, so these tests check structure, never content.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from summarizer.config import LLMSettings
from summarizer.errors import LLMBadRequest
from summarizer.llm import ChatMessage, LLMClient, make_llm_client
from tests.fakes.fake_ollama import FakeOllama
from tests.fakes.llama_fixtures import SHIM_MODEL, LlamaResponder

pytestmark = pytest.mark.llm_real

PROMPT = [
    ChatMessage("user", "Summarise: alice: the deploy failed again. bob: I will fix the migration by Friday.")
]
OVERLONG = [ChatMessage("user", "hello world " * 1500)]  # About 3,000 tokens for a 2,048-token window.


class ThreadSummary(BaseModel):
    """Bounded so that a base model rambling inside a string still closes the JSON within max_tokens."""

    summary: str = Field(max_length=40)
    decisions: list[Annotated[str, Field(max_length=20)]] = Field(max_length=2)


@pytest.fixture
def openai_real(llamacpp_openai_server: str) -> LLMClient:
    settings = LLMSettings(
        provider="openai", base_url=llamacpp_openai_server, model="gemma-3-270m", context_window=2048
    )
    return make_llm_client(settings)


@pytest.fixture
def ollama_real(llamacpp_ollama_shim: FakeOllama) -> LLMClient:
    return make_llm_client(LLMSettings(base_url=llamacpp_ollama_shim.url, model=SHIM_MODEL))


@pytest.fixture(params=["openai", "ollama"])
def real_client(request: pytest.FixtureRequest) -> LLMClient:
    client: LLMClient = request.getfixturevalue(f"{request.param}_real")
    return client


def timed_stream(deltas: Iterator[str]) -> tuple[list[str], float, float]:
    """The deltas, the time to the first one, and deltas per second after it."""
    started = time.perf_counter()
    received: list[str] = []
    first = 0.0
    for delta in deltas:
        if not received:
            first = time.perf_counter() - started
        received.append(delta)
    rest = time.perf_counter() - started - first
    return received, first, (len(received) - 1) / rest if rest > 0 else 0.0


def test_stream_yields_several_deltas(real_client: LLMClient, request: pytest.FixtureRequest) -> None:
    deltas, ttft, rate = timed_stream(real_client.stream_chat(PROMPT, max_tokens=32, temperature=0.0))
    print(f"\n{request.node.callspec.id}: TTFT {ttft:.2f} s, {rate:.1f} deltas/s, {len(deltas)} deltas")
    assert len(deltas) >= 2 and "".join(deltas).strip()


def test_chat_through_the_ollama_shim_reports_real_token_counts(ollama_real: LLMClient) -> None:
    result = ollama_real.chat(PROMPT, max_tokens=16, temperature=0.0)
    assert result.text
    assert 20 <= result.prompt_tokens <= 40  # The Gemma chat template around 21 words.
    assert 1 <= result.completion_tokens <= 17


def test_chat_through_the_openai_server_has_text_but_no_usage(openai_real: LLMClient) -> None:
    result = openai_real.chat(PROMPT, max_tokens=16, temperature=0.0)
    assert result.text
    # llama-cpp-python ignores stream_options.include_usage, and chat() always streams.
    assert (result.prompt_tokens, result.completion_tokens) == (0, 0), "usage is reported now: assert it"


def test_json_schema_output_validates_against_the_schema(real_client: LLMClient) -> None:
    schema = ThreadSummary.model_json_schema()
    text = real_client.chat(PROMPT, max_tokens=256, temperature=0.0, json_schema=schema).text
    # llama-cpp-python's grammar lets raw newlines into strings (llama.cpp's own does not): parse leniently.
    summary = ThreadSummary.model_validate(json.loads(text, strict=False))
    assert len(summary.summary) <= 40 and len(summary.decisions) <= 2


def test_model_info_reports_the_served_window(openai_real: LLMClient, ollama_real: LLMClient) -> None:
    assert openai_real.model_info().context_length == 2048  # From KIOK_LLM__CONTEXT_WINDOW.
    assert ollama_real.model_info().context_length == 2048  # From /api/show, i.e. the Llama's n_ctx.


def test_openai_server_reports_no_context_length_so_the_client_assumes_4096(
    llamacpp_openai_server: str,
) -> None:
    settings = LLMSettings(provider="openai", base_url=llamacpp_openai_server, model="gemma-3-270m")
    assert make_llm_client(settings).model_info().context_length == 4096


def test_overlong_prompt_through_the_openai_server_is_a_bad_request(openai_real: LLMClient) -> None:
    """The server answers 200, then ends the stream without a single event; the client says why."""
    with pytest.raises(LLMBadRequest, match="context window"):
        openai_real.chat(OVERLONG, max_tokens=8)


def test_overlong_prompt_through_the_ollama_shim_is_truncated_like_ollama(
    ollama_real: LLMClient, llamacpp_ollama_shim: FakeOllama
) -> None:
    responder: Any = llamacpp_ollama_shim.responder
    assert isinstance(responder, LlamaResponder)
    before = len(responder.truncations)
    result = ollama_real.chat(OVERLONG, max_tokens=4, temperature=0.0)
    assert len(responder.truncations) == before + 1
    original, kept = responder.truncations[-1]
    assert original > 2048 and result.prompt_tokens == kept <= 2048 - 4
