"""The `kiok` command as a user runs it: a real subprocess with a clean environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.emulator import SlackEmulator
from memory.db import head_revision
from tests.fakes.fake_ollama import FakeOllama

pytest_plugins = ["tests.e2e"]


def kiok(
    *args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIOK_") and "proxy" not in k.lower()}
    clean.update({"HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=home,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_version_and_help(tmp_path: Path) -> None:
    version = kiok("--version", home=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("kiok ")
    helped = kiok("--help", home=tmp_path)
    assert helped.returncode == 0
    for command in ("run", "migrate", "doctor"):
        assert command in helped.stdout


def test_doctor_without_configuration_names_every_missing_setting(tmp_path: Path) -> None:
    result = kiok("doctor", home=tmp_path, env={"KIOK_LLM__BASE_URL": "http://127.0.0.1:9"})
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "KIOK_SLACK__BOT_TOKEN" in out and "KIOK_SLACK__APP_TOKEN" in out
    assert "Cannot reach Ollama at http://127.0.0.1:9" in out
    assert f"needs {head_revision()}" in out and "kiok migrate" in out  # fresh database: not migrated yet
    assert "ok   data directory" in out


def test_run_without_tokens_stops_and_says_where_to_get_them(tmp_path: Path) -> None:
    result = kiok("run", home=tmp_path)
    assert result.returncode == 1
    assert "KIOK_SLACK__BOT_TOKEN" in result.stderr and "OAuth & Permissions" in result.stderr
    assert "KIOK_SLACK__APP_TOKEN" in result.stderr and "App-Level Tokens" in result.stderr


def test_malformed_token_is_refused_without_echoing_it(tmp_path: Path) -> None:
    result = kiok("run", home=tmp_path, env={"KIOK_SLACK__BOT_TOKEN": "xapp-oops-secret"})
    assert result.returncode == 2
    assert "KIOK_SLACK__BOT_TOKEN" in result.stderr and "xoxb-" in result.stderr
    assert "oops-secret" not in result.stderr


def test_migrate_then_doctor_passes_against_emulator_and_fake_ollama(
    tmp_path: Path, emulator: SlackEmulator, fake_ollama: FakeOllama
) -> None:
    env = {
        "KIOK_DATA_DIR": str(tmp_path / "data"),
        "KIOK_SLACK__BOT_TOKEN": emulator.bot_token,
        "KIOK_SLACK__APP_TOKEN": emulator.app_token,
        "KIOK_SLACK__API_URL": emulator.api_url,
        "KIOK_LLM__BASE_URL": fake_ollama.url,
    }
    first = kiok("migrate", home=tmp_path, env=env)
    assert first.returncode == 0 and f"migrated from empty to {head_revision()}" in first.stdout
    again = kiok("migrate", home=tmp_path, env=env)
    assert f"already at migration {head_revision()}" in again.stdout
    result = kiok("doctor", home=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "context window" in result.stdout


@pytest.mark.parametrize("bad", ["not-a-url", "mysql+nodriver://x/y"])
def test_bad_database_url_is_explained(tmp_path: Path, bad: str) -> None:
    result = kiok("migrate", home=tmp_path, env={"KIOK_DATABASE_URL": bad})
    assert result.returncode == 1
    assert "KIOK_DATABASE_URL" in result.stderr or "driver" in result.stderr
