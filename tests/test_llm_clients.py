"""Both LLM clients against fake servers that speak the real Ollama and OpenAI wire protocols."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from summarizer.config import LLMSettings
from summarizer.errors import LLMBadRequest, LLMError, LLMTimeout, LLMUnavailable, ModelNotFound
from summarizer.llm import ChatMessage, LLMClient, make_llm_client
from summarizer.llm.ollama_client import OllamaClient
from summarizer.llm.openai_client import OpenAICompatibleClient
from tests.fakes.fake_ollama import FakeOllama
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.llm_http import FakeLLMServer, Reply, ResponderError

ANSWER = "The release moves to Friday because the migration fix is not merged yet."
QUESTION = [
    ChatMessage("system", "You summarise Slack threads."),
    ChatMessage("user", "When is the release?"),
]
SCHEMA = {
    "title": "ThreadSummary",
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "decisions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["summary", "decisions"],
}


@dataclass
class Backend:
    """One fake server and how to point a client at it."""

    provider: str
    server: FakeLLMServer
    url: str
    model: str
    chat_path: str

    def client(self, **overrides: Any) -> LLMClient:
        fields = {"provider": self.provider, "base_url": self.url, "model": self.model, "max_retries": 0}
        return make_llm_client(LLMSettings(**(fields | overrides)))

    def last_body(self) -> dict[str, Any]:
        body: dict[str, Any] = self.server.bodies(self.chat_path)[-1]
        return body


@pytest.fixture(params=["ollama", "openai"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "ollama":
        fake: FakeOllama = request.getfixturevalue("fake_ollama")
        return Backend("ollama", fake, fake.url, "gemma3:4b", "/api/chat")
    oai: FakeOpenAI = request.getfixturevalue("fake_openai")
    return Backend("openai", oai, oai.base_url, "gemma-3-270m", "/v1/chat/completions")


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raised(call: Callable[[], object], kind: type[LLMError]) -> LLMError:
    """Run `call`, check it raised `kind` with no third-party exception chained, and return it."""
    with pytest.raises(kind) as info:
        call()
    error: LLMError = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return error


# Answers ------------------------------------------------------------------------------------------


def test_make_llm_client_picks_the_class_for_the_provider() -> None:
    assert isinstance(make_llm_client(LLMSettings(provider="ollama")), OllamaClient)
    assert isinstance(make_llm_client(LLMSettings(provider="openai")), OpenAICompatibleClient)
    bogus = LLMSettings().model_copy(update={"provider": "llamafile"})
    with pytest.raises(ValueError, match=r"'llamafile'.*KIOK_LLM__PROVIDER.*ollama, openai"):
        make_llm_client(bogus)


def test_chat_returns_the_text_and_the_token_counts(backend: Backend) -> None:
    backend.server.enqueue(ANSWER)
    result = backend.client().chat(QUESTION)
    assert result.text == ANSWER
    assert result.prompt_tokens == 8  # The fakes count words.
    assert result.completion_tokens == len(ANSWER.split())


def test_stream_yields_word_deltas_that_join_to_the_chat_text(backend: Backend) -> None:
    backend.server.enqueue(ANSWER, ANSWER)
    client = backend.client()
    deltas = list(client.stream_chat(QUESTION))
    assert len(deltas) == len(ANSWER.split()) > 5
    assert "".join(deltas) == client.chat(QUESTION).text == ANSWER


def test_request_carries_model_messages_and_sampling_options(backend: Backend) -> None:
    backend.client(temperature=0.7, max_answer_tokens=300, num_ctx=4096, keep_alive="5m").chat(QUESTION)
    body = backend.last_body()
    assert body["model"] == backend.model
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in QUESTION]
    assert body["stream"] is True  # chat() streams too: an idle timeout must never become a total one.
    if backend.provider == "ollama":
        assert body["options"] == {"num_ctx": 4096, "temperature": 0.7, "num_predict": 300}
        assert body["keep_alive"] == "5m"
    else:
        assert (body["max_tokens"], body["temperature"]) == (300, 0.7)
        assert body["stream_options"] == {"include_usage": True}


def test_per_call_arguments_override_the_settings(backend: Backend) -> None:
    list(backend.client(temperature=0.7).stream_chat(QUESTION, max_tokens=12, temperature=0.0))
    body = backend.last_body()
    if backend.provider == "ollama":
        assert (body["options"]["num_predict"], body["options"]["temperature"]) == (12, 0.0)
    else:
        assert (body["max_tokens"], body["temperature"]) == (12, 0.0)


def test_json_schema_reaches_the_server_as_its_native_constraint(backend: Backend) -> None:
    backend.server.enqueue('{"summary": "Release on Friday", "decisions": ["wait for the fix"]}')
    result = backend.client().chat(QUESTION, json_schema=SCHEMA)
    assert result.text.startswith('{"summary"')
    body = backend.last_body()
    if backend.provider == "ollama":
        assert body["format"] == SCHEMA
    else:
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "ThreadSummary", "schema": SCHEMA, "strict": True},
        }


def test_openai_client_falls_back_to_json_object_when_the_server_refuses_json_schema(
    fake_openai: FakeOpenAI,
) -> None:
    """llama-cpp-python's server accepts only `json_object` (with a `schema`), and says so with a 422."""
    detail = [{"type": "literal_error", "loc": ["body", "response_format", "type"], "msg": "bad"}]
    fake_openai.fail_next(422, {"detail": detail}, path="/v1/chat/completions")
    fake_openai.enqueue('{"summary": "s", "decisions": []}', '{"summary": "t", "decisions": []}')
    client = OpenAICompatibleClient(
        settings=LLMSettings(provider="openai", base_url=fake_openai.base_url, model="gemma-3-270m")
    )
    assert client.chat(QUESTION, json_schema=SCHEMA).text == '{"summary": "s", "decisions": []}'
    client.chat(QUESTION, json_schema=SCHEMA)
    formats = [b["response_format"] for b in fake_openai.bodies("/v1/chat/completions")]
    assert [f["type"] for f in formats] == ["json_schema", "json_object", "json_object"]
    assert formats[-1]["schema"] == SCHEMA


# Context length -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("trained", "num_ctx", "expected"), [(131072, 8192, 8192), (2048, 8192, 2048)])
def test_ollama_context_length_is_read_from_show_and_capped_by_num_ctx(
    no_proxy_env: None, trained: int, num_ctx: int, expected: int
) -> None:
    with FakeOllama(models={"gemma3:4b": trained}) as server:
        client = make_llm_client(LLMSettings(base_url=server.url, num_ctx=num_ctx))
        assert client.model_info().context_length == expected
        client.chat(QUESTION)
        client.chat(QUESTION)
        assert server.bodies("/api/chat")[-1]["options"]["num_ctx"] == expected
        assert server.bodies("/api/show") == [{"model": "gemma3:4b"}]  # Asked once, then cached.


@pytest.mark.parametrize(
    ("meta", "context_window", "expected"),
    [
        ({}, None, 4096),
        ({"max_model_len": 32768}, None, 8192),
        ({"max_model_len": 2048}, None, 2048),
        ({}, 1024, 1024),
    ],
)
def test_openai_context_length_comes_from_settings_then_models_metadata_then_4096(
    no_proxy_env: None, meta: dict[str, int], context_window: int | None, expected: int
) -> None:
    with FakeOpenAI(models={"m": meta}) as server:
        settings = LLMSettings(
            provider="openai", base_url=server.base_url, model="m", context_window=context_window
        )
        assert make_llm_client(settings).model_info().context_length == expected


# Failures -----------------------------------------------------------------------------------------


def test_unreachable_server_is_unavailable_and_the_message_names_the_url(backend: Backend) -> None:
    url = f"http://127.0.0.1:{unused_port()}" + ("/v1" if backend.provider == "openai" else "")
    client = backend.client(base_url=url, connect_timeout=1)
    error = raised(lambda: client.chat(QUESTION), LLMUnavailable)
    assert url in str(error) and "KIOK_LLM__BASE_URL" in str(error)
    raised(lambda: list(client.stream_chat(QUESTION)), LLMUnavailable)


def test_ollama_unknown_model_says_how_to_pull_it(fake_ollama: FakeOllama) -> None:
    client = make_llm_client(LLMSettings(base_url=fake_ollama.url, model="qwen3:8b"))
    error = raised(client.model_info, ModelNotFound)
    assert str(error) == "model qwen3:8b is not pulled: run `ollama pull qwen3:8b`"
    raised(lambda: client.chat(QUESTION), ModelNotFound)


def test_ollama_chat_404_for_a_model_removed_after_show(fake_ollama: FakeOllama) -> None:
    client = make_llm_client(LLMSettings(base_url=fake_ollama.url))
    client.model_info()
    fake_ollama.models.clear()
    assert "ollama pull gemma3:4b" in str(raised(lambda: client.chat(QUESTION), ModelNotFound))


def test_openai_unknown_model_names_the_setting_and_lists_the_served_models(fake_openai: FakeOpenAI) -> None:
    client = make_llm_client(LLMSettings(provider="openai", base_url=fake_openai.base_url, model="gpt-4o"))
    error = raised(lambda: client.chat(QUESTION), ModelNotFound)
    assert "'gpt-4o'" in str(error) and "KIOK_LLM__MODEL" in str(error) and "gemma-3-270m" in str(error)


def test_wrong_kind_of_server_says_which_setting_to_fix(
    fake_ollama: FakeOllama, fake_openai: FakeOpenAI
) -> None:
    ollama_at_openai = make_llm_client(LLMSettings(base_url=fake_openai.url))
    assert "KIOK_LLM__PROVIDER=openai" in str(raised(lambda: ollama_at_openai.chat(QUESTION), LLMUnavailable))
    openai_without_v1 = make_llm_client(LLMSettings(provider="openai", base_url=fake_openai.url))
    assert "/v1" in str(raised(lambda: openai_without_v1.chat(QUESTION), LLMUnavailable))


def test_a_stall_longer_than_the_idle_timeout_mid_stream_times_out(backend: Backend) -> None:
    backend.server.enqueue(ANSWER, ANSWER)
    backend.server.stall_after(3, 5.0)
    client = backend.client(idle_timeout=0.5)
    stream = client.stream_chat(QUESTION)
    assert "".join(next(stream) for _ in range(3)) == "The release moves"
    started = time.monotonic()
    error = raised(lambda: list(stream), LLMTimeout)
    assert time.monotonic() - started < 2.5
    assert "0.5 s" in str(error) and "KIOK_LLM__IDLE_TIMEOUT" in str(error)
    raised(lambda: client.chat(QUESTION), LLMTimeout)


def test_a_slow_but_steady_stream_is_not_cut_by_the_idle_timeout(backend: Backend) -> None:
    backend.server.enqueue("one two three four five six seven eight nine ten")
    backend.server.token_delay(0.3)
    started = time.monotonic()
    deltas = list(backend.client(idle_timeout=1).stream_chat(QUESTION))
    assert len(deltas) == 10 and time.monotonic() - started > 2.5  # Total 2.7 s > idle timeout 1 s.


def test_a_slow_first_token_within_the_idle_timeout_is_fine(backend: Backend) -> None:
    backend.server.enqueue(ANSWER)
    backend.server.delay_first_token(0.4)
    assert backend.client(idle_timeout=1).chat(QUESTION).text == ANSWER


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_unavailable(backend: Backend, status: int) -> None:
    backend.server.fail_next(status, {"error": "llama runner process has terminated: signal: killed"})
    error = raised(lambda: backend.client().chat(QUESTION), LLMUnavailable)
    assert str(status) in str(error) and "runner process has terminated" in str(error)


def test_openai_retries_a_server_error_the_configured_number_of_times(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next(503, {"error": "loading model"}, path="/v1/chat/completions")
    fake_openai.enqueue(ANSWER)
    client = make_llm_client(
        LLMSettings(provider="openai", base_url=fake_openai.base_url, model="gemma-3-270m", max_retries=1)
    )
    assert client.chat(QUESTION).text == ANSWER
    assert len(fake_openai.bodies("/v1/chat/completions")) == 2


def test_bad_request_carries_the_servers_message(backend: Backend) -> None:
    message = "invalid format: json schema is not an object"
    body = (
        {"error": message} if backend.provider == "ollama" else {"error": {"message": message, "code": None}}
    )
    backend.server.fail_next(400, body, path=backend.chat_path)
    error = raised(lambda: backend.client().chat(QUESTION), LLMBadRequest)
    assert message in str(error)


def test_refused_credentials_name_the_api_key_setting(backend: Backend) -> None:
    backend.server.fail_next(401, {"error": "unauthorized"})
    error = raised(lambda: backend.client(api_key="wrong").chat(QUESTION), LLMBadRequest)
    assert "KIOK_LLM__API_KEY" in str(error)


def test_openai_api_key_is_sent_as_bearer_token(no_proxy_env: None) -> None:
    with FakeOpenAI(api_key="sekrit") as server:
        good = make_llm_client(
            LLMSettings(provider="openai", base_url=server.base_url, model="gemma-3-270m", api_key="sekrit")
        )
        assert good.chat(QUESTION).text.startswith("You said")
        bad = make_llm_client(
            LLMSettings(provider="openai", base_url=server.base_url, model="gemma-3-270m", api_key="nope")
        )
        raised(lambda: bad.chat(QUESTION), LLMBadRequest)


def test_ollama_sends_the_api_key_for_servers_behind_an_authenticating_proxy(fake_ollama: FakeOllama) -> None:
    make_llm_client(LLMSettings(base_url=fake_ollama.url, api_key="sekrit")).chat(QUESTION)
    assert fake_ollama.requests[-1].headers["authorization"] == "Bearer sekrit"


def test_a_dropped_connection_mid_stream_is_unavailable(backend: Backend) -> None:
    backend.server.enqueue(ANSWER)
    backend.server.drop_connection(after_tokens=2)
    error = raised(lambda: list(backend.client().stream_chat(QUESTION)), LLMUnavailable)
    assert "mid-answer" in str(error)


def test_an_error_reported_inside_the_stream_is_translated(backend: Backend) -> None:
    def failing(_body: dict[str, Any]) -> Reply:
        def pieces() -> Any:
            yield "Partial"
            raise ResponderError(500, "model runner crashed")

        return Reply(pieces())

    backend.server.responder = failing
    stream = backend.client().stream_chat(QUESTION)
    assert next(stream) == "Partial"
    raised(lambda: list(stream), LLMUnavailable)


def test_openai_stream_closed_before_any_answer_points_at_the_context_window(fake_openai: FakeOpenAI) -> None:
    """llama-cpp-python answers 200 and then ends the stream with no event when the prompt is too long."""

    def too_long(_body: dict[str, Any]) -> Reply:
        def pieces() -> Any:
            raise ResponderError(400, "Requested tokens (3010) exceed context window of 2048")
            yield ""

        return Reply(pieces())

    fake_openai.responder, fake_openai.silent_stream_errors = too_long, True
    client = make_llm_client(
        LLMSettings(provider="openai", base_url=fake_openai.base_url, model="gemma-3-270m")
    )
    assert "context window" in str(raised(lambda: client.chat(QUESTION), LLMBadRequest))


def test_openai_stream_ending_mid_answer_without_finish_reason_is_unavailable(
    fake_openai: FakeOpenAI,
) -> None:
    def cut(_body: dict[str, Any]) -> Reply:
        def pieces() -> Any:
            yield "Partial"
            raise ResponderError(500, "boom")

        return Reply(pieces())

    fake_openai.responder, fake_openai.silent_stream_errors = cut, True
    client = make_llm_client(
        LLMSettings(provider="openai", base_url=fake_openai.base_url, model="gemma-3-270m")
    )
    assert "mid-answer" in str(raised(lambda: client.chat(QUESTION), LLMUnavailable))
