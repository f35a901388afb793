"""End-to-end harness: the real Bolt app and Socket Mode client against the Slack emulator on loopback."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from app.settings import Settings
from memory.config import BUNDLED_MINILM
from memory.embeddings.base import Embedder
from tests.fakes.fake_ollama import FakeOllama


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    emu = SlackEmulator(team_id="T0KIOK", team_name="acme", bot_name="kiok")
    emu.start()
    yield emu
    emu.stop()


def bot_settings(emu: SlackEmulator, llm_url: str, data_dir: Path, **llm: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        slack={
            "bot_token": emu.bot_token,
            "app_token": emu.app_token,
            "api_url": emu.api_url,
            "update_interval": 0.2,
            "http_timeout": 5,
        },
        llm={"provider": "ollama", "base_url": llm_url, "model": "gemma3:4b", "idle_timeout": 5, **llm},
        embedding={"model": BUNDLED_MINILM},
    )


@pytest.fixture
def start_bot(
    emulator: SlackEmulator, fake_ollama: FakeOllama, embedder: Embedder, tmp_path: Path
) -> Iterator[Callable[..., Bot]]:
    """Start Kiok connected to the emulator (LLM: the fake Ollama unless `llm_url` is given)."""
    bots: list[Bot] = []

    def start(llm_url: str | None = None, **llm: Any) -> Bot:
        bot = Bot(bot_settings(emulator, llm_url or fake_ollama.url, tmp_path, **llm), embedder=embedder)
        bot.start()
        bots.append(bot)
        emulator.wait_connected()
        return bot

    yield start
    for bot in bots:
        bot.stop()
