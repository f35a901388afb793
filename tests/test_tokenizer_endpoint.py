"""Prompt sizes from the server's own tokenizer when it has one (llama-cpp-python, llama-server, vLLM), over
real HTTP to the fake OpenAI-compatible server; Kiok's estimate otherwise."""

import json
from typing import Any

import pytest

from summarizer.batch import summarize_batch
from summarizer.config import LLMSettings
from summarizer.llm import make_llm_client
from summarizer.pipeline import Summarizer
from summarizer.schemas import batch_segment_ids
from tests.fakes.fake_openai import FakeOpenAI
from tests.test_summary_batching_pipeline import segments

TOKENIZE_PATHS = ("/extras/tokenize", "/tokenize")


def client(server: FakeOpenAI, context_window: int = 4096) -> Any:
    settings = LLMSettings(
        provider="openai", base_url=server.base_url, model="gemma-3-270m", context_window=context_window
    )  # type: ignore[call-arg]
    return make_llm_client(settings)


@pytest.mark.parametrize("flavour", ["llama-cpp-python", "llama-server", "vllm"])
def test_each_servers_tokenize_endpoint_is_found_and_used(fake_openai: FakeOpenAI, flavour: str) -> None:
    fake_openai.tokenizer = flavour
    llm = client(fake_openai)
    assert llm.count_tokens(["héllo", "12. Alice: hi"]) == [5, 13]
    assert llm.count_tokens(["abc"]) == [3]  # the endpoint found first is kept


def test_no_tokenize_endpoint_means_the_estimate_and_is_asked_once(fake_openai: FakeOpenAI) -> None:
    llm = client(fake_openai)
    assert llm.count_tokens(["hello"]) is None
    asked = sum(len(fake_openai.bodies(p)) for p in TOKENIZE_PATHS)
    assert asked == 3  # llama-cpp-python's, llama-server's and vLLM's form, each refused
    assert llm.count_tokens(["hello"]) is None
    assert sum(len(fake_openai.bodies(p)) for p in TOKENIZE_PATHS) == asked  # not asked again
    assert Summarizer(llm).tokenizer_ratio(["hello"]) == 1.0


def test_an_unreachable_server_is_asked_again_next_time(fake_openai: FakeOpenAI) -> None:
    fake_openai.tokenizer, fake_openai.tokenize_drops = "llama-server", 1
    llm = client(fake_openai)
    assert llm.count_tokens(["hello"]) is None  # the connection closed: nothing learned about the endpoint
    assert llm.count_tokens(["hello"]) == [5]


def batch_answer(body: dict[str, Any]) -> str:
    ids = batch_segment_ids(body["response_format"]["json_schema"]["schema"])
    return json.dumps({"segments": [{"id": i, "summary": "ok"} for i in ids]})


def test_a_tokenizer_that_counts_more_than_the_estimate_packs_smaller_calls(fake_openai: FakeOpenAI) -> None:
    """The fake counts a token per character, about three times the estimate for English: the same batch
    then needs more calls, and none of them overflows the window by the server's own count."""
    fake_openai.responder = batch_answer
    batch = segments([6] * 8, words=12)
    estimated = summarize_batch(Summarizer(client(fake_openai, 2048)), batch, channel="c", language="English")
    fake_openai.tokenizer = "llama-server"
    fake_openai.requests.clear()
    measured = summarize_batch(Summarizer(client(fake_openai, 2048)), batch, channel="c", language="English")
    assert measured.calls > estimated.calls
    assert set(measured.summaries) == set(estimated.summaries) == {f"S{i}" for i in range(1, 9)}
    for body in fake_openai.bodies("/v1/chat/completions"):
        prompt = sum(len(m["content"]) for m in body["messages"])  # the fake's own token count
        assert prompt + body["max_tokens"] <= 2048
