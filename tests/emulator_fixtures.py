"""Fixtures for the emulator's own tests: a started emulator, a seeded workspace, and real Bolt apps."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from app.emulator import SlackEmulator

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Socket Mode clients ignore NO_PROXY, so a proxy variable would tunnel 127.0.0.1 away."""
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator(team_id="T0KIOK", team_name="kiok-test", bot_name="kiok") as emulator:
        yield emulator


@dataclass(frozen=True)
class Seed:
    alice: str
    bob: str
    general: str


@pytest.fixture
def seed(emu: SlackEmulator) -> Seed:
    alice = emu.add_user(name="alice", real_name="Alice Kim", tz="Asia/Seoul", locale="ko-KR")
    bob = emu.add_user(name="bob", real_name="Bob Lee", tz="America/New_York")
    return Seed(alice=alice, bob=bob, general=emu.add_channel("general", members=[alice, bob]))


@pytest.fixture
def client(emu: SlackEmulator) -> WebClient:
    return WebClient(token=emu.bot_token, base_url=emu.api_url, timeout=5)


@dataclass
class BoltRig:
    """A real Bolt `App` on the emulator; `connect()` starts a builtin Socket Mode handler."""

    emu: SlackEmulator
    app: App
    handlers: list[SocketModeHandler] = field(default_factory=list)
    seen: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def connect(self, *, wait: bool = True, **options: Any) -> SocketModeHandler:
        handler = SocketModeHandler(self.app, self.emu.app_token, **options)
        self.handlers.append(handler)
        handler.connect()
        if wait:
            self.emu.wait_connected()
        return handler

    def record(self, kind: str, payload: dict[str, Any], headers: dict[str, Any]) -> None:
        self.seen.append((kind, payload, headers))

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        return [payload for k, payload, _headers in list(self.seen) if k == kind]

    def close(self) -> None:
        for handler in self.handlers:
            handler.close()


@pytest.fixture
def bolt(emu: SlackEmulator) -> Iterator[BoltRig]:
    rig = BoltRig(emu=emu, app=App(client=WebClient(token=emu.bot_token, base_url=emu.api_url, timeout=5)))
    yield rig
    rig.close()
