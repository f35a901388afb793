"""The fake LLM servers speak the protocols the official `ollama` and `openai` clients expect."""

import ollama
import openai
import pytest

from tests.fakes.fake_ollama import FakeOllama
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.llm_http import split_words

ANSWER = "The release moves to Friday because the migration fix is not merged yet."


def test_pieces_are_words_that_join_back_to_the_text() -> None:
    text = "  Two spaces,\nthen a line  break "
    assert split_words(text) == ["  Two", " spaces,", "\nthen", " a", " line", "  break", " "]
    assert "".join(split_words(text)) == text


def test_fake_ollama_answers_the_official_client(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    fake_ollama.enqueue(ANSWER, "Hi")
    reply = client.chat(model="gemma3:4b", messages=[{"role": "user", "content": "hi"}])
    assert (reply.message.content, reply.done, reply.done_reason, reply.eval_count) == (
        ANSWER,
        True,
        "stop",
        13,
    )
    assert client.generate(model="gemma3:4b", prompt="hello").response == "Hi"
    assert [m.model for m in client.list().models] == ["gemma3:4b"]
    assert [m.model for m in client.ps().models] == ["gemma3:4b"]
    assert client.show("gemma3:4b").modelinfo["gemma3.context_length"] == 131072  # type: ignore[index]
    with pytest.raises(ollama.ResponseError, match='model "nope" not found, try pulling it first'):
        client.chat(model="nope", messages=[{"role": "user", "content": "hi"}])


def test_fake_openai_answers_the_official_client(fake_openai: FakeOpenAI) -> None:
    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="x", max_retries=0)
    fake_openai.enqueue(ANSWER)
    reply = client.chat.completions.create(model="gemma-3-270m", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == ANSWER and reply.usage is not None
    assert reply.usage.completion_tokens == 13
    assert [m.id for m in client.models.list()] == ["gemma-3-270m"]
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found"


def test_fake_ollama_streams_ndjson_with_a_final_stats_frame(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    fake_ollama.enqueue(ANSWER)
    *pieces, final = client.chat(
        model="gemma3:4b", messages=[{"role": "user", "content": "hi there"}], stream=True
    )
    assert [p.message.content for p in pieces] == split_words(ANSWER) and not any(p.done for p in pieces)
    assert final.done and final.done_reason == "stop" and final.message.content == ""
    assert (final.prompt_eval_count, final.eval_count) == (2, 13)
    assert final.total_duration and final.eval_duration


def test_fake_ollama_resolves_latest_and_loads_on_an_empty_chat(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    with pytest.raises(ollama.ResponseError, match='model "gemma3" not found'):
        client.chat(model="gemma3", messages=[])
    fake_ollama.models["gemma3:latest"] = fake_ollama.models["gemma3:4b"]
    assert client.chat(model="gemma3", messages=[]).done_reason == "load"


def test_fake_records_path_body_and_headers(fake_openai: FakeOpenAI) -> None:
    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="k", max_retries=0)
    client.chat.completions.create(model="gemma-3-270m", messages=[{"role": "user", "content": "hi"}])
    request = fake_openai.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.body["messages"] == [{"role": "user", "content": "hi"}]
    assert request.headers["authorization"] == "Bearer k"


def test_fail_next_can_target_one_path_and_repeat(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    fake_ollama.fail_next(503, {"error": "busy"}, times=2, path="/api/chat")
    assert client.show("gemma3:4b").details is not None  # Other paths are not affected.
    for _ in range(2):
        with pytest.raises(ollama.ResponseError, match="busy"):
            client.chat(model="gemma3:4b", messages=[{"role": "user", "content": "hi"}])
    assert client.chat(model="gemma3:4b", messages=[{"role": "user", "content": "hi"}]).done
