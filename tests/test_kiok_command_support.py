"""Shared harness of the `/kiok` and shortcut end-to-end tests (no tests here): one emulator, one fake
Ollama and one real Kiok bot per test module, and helpers that act as people and read back replies."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.bootstrap import Bot
from app.emulator import SlackEmulator
from app.settings import Settings
from memory.config import BUNDLED_MINILM
from memory.embeddings.base import Embedder
from tests.conftest import PROXY_VARS
from tests.fakes.fake_ollama import FakeOllama

WORKING = (":hourglass_flowing_sand: Working on it…", ":hourglass_flowing_sand: 처리하는 중…")


class Harness:
    """The workspace, the model and the bot of one test module."""

    def __init__(self, emu: SlackEmulator, llm: FakeOllama, bot: Bot) -> None:
        self.emu, self.llm, self.bot = emu, llm, bot
        self.team = emu.team_id

    def kiok(
        self, text: str, *, user: str, channel: str, timeout: float = 20.0, posts: int = 0
    ) -> dict[str, Any]:
        """Run `/kiok text`; returns the final ephemeral reply (after any "working…" note).

        Asserts the 3-second ack and that the reply is private: the channel gets `posts` new messages
        (a digest posted on request), no more."""
        before = len(self.emu.ephemerals(channel, user))
        posted = len(self.emu.messages(channel))
        ack = self.emu.send_slash_command("/kiok", text, user=user, channel=channel).wait(3.0)
        assert ack is not None and ack.get("response_type") == "ephemeral", ack
        final = self.emu.wait_for(lambda: self._final(channel, user, before), timeout)
        assert len(self.emu.messages(channel)) == posted + posts, "a private reply was posted in the channel"
        return final

    def kiok_shared(self, text: str, *, user: str, channel: str, timeout: float = 20.0) -> dict[str, Any]:
        """Run a `/kiok … --share`; returns the message it posted in the channel."""
        posted = len(self.emu.messages(channel))
        self.emu.send_slash_command("/kiok", text, user=user, channel=channel).wait(3.0)
        return self.emu.wait_for(lambda: self.emu.messages(channel)[posted:], timeout)[-1]

    def _final(self, channel: str, user: str, before: int) -> dict[str, Any]:
        new = [e for e in self.emu.ephemerals(channel, user)[before:] if e["text"] not in WORKING]
        return new[-1] if new else {}

    def replies_after(self, channel: str, user: str, before: int, count: int = 1) -> list[dict[str, Any]]:
        def found() -> list[dict[str, Any]]:
            new = self.emu.ephemerals(channel, user)[before:]
            return new if len(new) >= count else []

        return self.emu.wait_for(found)

    def click(self, reply: dict[str, Any], *, user: str, channel: str, button: int = 0) -> dict[str, Any]:
        """Click a button of an ephemeral reply, as Slack sends it; returns the next ephemeral reply."""
        actions = next(b for b in reply["blocks"] if b["type"] == "actions")
        element = actions["elements"][button]
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": self.team},
            "channel": {"id": channel, "name": "channel"},
            "container": {
                "type": "message",
                "message_ts": reply["ts"],
                "channel_id": channel,
                "is_ephemeral": True,
            },
            "message": {
                "type": "message",
                "ts": reply["ts"],
                "text": reply["text"],
                "blocks": reply["blocks"],
            },
            "actions": [{**element, "block_id": actions["block_id"], "action_ts": self.emu.clock.next_ts()}],
        }
        before = len(self.emu.ephemerals(channel, user))
        self.emu.send_interactive(payload).wait(3.0)
        return self.replies_after(channel, user, before)[-1]

    def wait_stored(self, channel: str, count: int) -> None:
        store = self.bot.services.store
        self.emu.wait_for(lambda: store.count_messages(self.team, channel) >= count)

    def wait_indexed(self) -> None:
        store = self.bot.services.store
        self.emu.wait_for(lambda: store.count_pending_index(team_id=self.team) == 0, timeout=30)


def content(reply: dict[str, Any]) -> str:
    """A reply's text and every text in its blocks, for assertions."""
    return str(reply.get("text", "")) + "\n" + json.dumps(reply.get("blocks", []), ensure_ascii=False)


def settings_for(emu: SlackEmulator, llm_url: str, data_dir: Any) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        slack={
            "bot_token": emu.bot_token,
            "app_token": emu.app_token,
            "api_url": emu.api_url,
            "update_interval": 0.2,
            "http_timeout": 5,
        },
        llm={"provider": "ollama", "base_url": llm_url, "model": "gemma3:4b", "idle_timeout": 5},
        embedding={"model": BUNDLED_MINILM},
        summary={"workers": 0, "tick_seconds": 3600},  # summaries are planted by the tests themselves
    )


@pytest.fixture(scope="module")
def kiok_env(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Harness]:
    with pytest.MonkeyPatch.context() as patch:
        for var in PROXY_VARS:
            patch.delenv(var, raising=False)
        emu = SlackEmulator(team_id="T0KIOK", team_name="acme", bot_name="kiok").start()
        llm = FakeOllama().start()
        bot = Bot(settings_for(emu, llm.url, tmp_path_factory.mktemp("kiok")), embedder=embedder)
        try:
            bot.start()
            emu.wait_connected()
            yield Harness(emu, llm, bot)
        finally:
            bot.stop()
            llm.stop()
            emu.stop()
