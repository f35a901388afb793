"""Settings: env names, defaults, and fix-it messages for bad tokens."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KIOK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KIOK_SLACK__BOT_TOKEN", "xoxb-1-abc")
    monkeypatch.setenv("KIOK_SLACK__APP_TOKEN", "xapp-1-abc")
    monkeypatch.setenv("KIOK_LLM__PROVIDER", "openai")
    monkeypatch.setenv("KIOK_LLM__IDLE_TIMEOUT", "7.5")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_dir == tmp_path
    assert settings.db_url == f"sqlite:///{tmp_path / 'kiok.db'}"
    assert settings.slack.missing() == []
    assert settings.llm.provider == "openai" and settings.llm.idle_timeout == 7.5
    assert settings.llm.url == "http://127.0.0.1:8080/v1"


def test_missing_tokens_are_named_with_where_to_get_them() -> None:
    problems = Settings(_env_file=None).slack.missing()  # type: ignore[call-arg]
    assert len(problems) == 2
    assert "KIOK_SLACK__BOT_TOKEN" in problems[0] and "OAuth & Permissions" in problems[0]
    assert "KIOK_SLACK__APP_TOKEN" in problems[1] and "connections:write" in problems[1]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("bot_token", "xapp-swapped", "xoxb-"), ("app_token", "xoxb-swapped", "xapp-")],
)
def test_malformed_tokens_are_refused(field: str, value: str, expected: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, slack={field: value})  # type: ignore[call-arg]
    assert f"does not start with {expected}" in str(info.value)
    assert value not in str(info.value)  # the secret itself is never echoed


def test_blank_token_counts_as_missing() -> None:
    settings = Settings(_env_file=None, slack={"bot_token": "  "})  # type: ignore[call-arg]
    assert settings.slack.bot_token is None


def test_unknown_provider_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, llm={"provider": "bard"})  # type: ignore[call-arg]
    assert "'ollama'" in str(info.value) and "'openai'" in str(info.value)


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    groups = ("slack", "llm", "embedding", "vector", "memory", "summary")
    names = {f"KIOK_{name.upper()}" for name in Settings.model_fields if name not in groups}
    for group in groups:
        model = Settings.model_fields[group].annotation
        names |= {f"KIOK_{group.upper()}__{n.upper()}" for n in model.model_fields}  # type: ignore[union-attr]
    missing = sorted(n for n in names if n not in example)
    assert missing == [], f".env.example lacks {missing}"
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    undocumented = sorted(n for n in names if f"`{n}`" not in readme)
    assert undocumented == [], f"README's configuration table lacks {undocumented}"
