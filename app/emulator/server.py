"""`SlackEmulator`: a Slack workspace (Web API + Socket Mode) on one loopback port, driven from Python."""

from __future__ import annotations

import inspect
import re
import secrets
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from app.emulator import events
from app.emulator.clock import Clock
from app.emulator.directory import ChannelKind
from app.emulator.errors import ApiError, EmulatorError
from app.emulator.events import AppIdentity
from app.emulator.faults import Faults
from app.emulator.interactions import Interactions
from app.emulator.methods_chat import CHAT_METHODS
from app.emulator.methods_conversations import CONVERSATION_METHODS
from app.emulator.methods_misc import APP_TOKEN_METHODS, MISC_METHODS
from app.emulator.runner import ServerThread
from app.emulator.socket import SocketHub, SocketResponse
from app.emulator.state import Workspace
from app.emulator.webapi import DEFAULT_SCOPES, ApiCall, WebApi

__all__ = ["SlackEmulator"]

T = TypeVar("T")


class SlackEmulator:
    """An in-process Slack: point `WebClient(base_url=emu.api_url)` and Socket Mode at it.

    People are played by calling `post_message`, `send_slash_command` and friends; what the app does is read
    back with `messages`, `thread`, `calls`, `acks`. Use `start()`/`stop()` or a `with` block.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0KIOK",
        team_name: str = "kiok-test",
        bot_name: str = "kiok",
        host: str = "127.0.0.1",
        port: int = 0,
        bot_user_id: str = "U0KIOKBOT",
        bot_id: str = "B0KIOKBOT",
        app_id: str = "A0KIOKAPP",
        bot_token: str | None = None,
        app_token: str | None = None,
        scopes: str = DEFAULT_SCOPES,
        ack_timeout: float | None = 3.0,
        max_retries: int = 3,
        trigger_ttl: float = 3.0,
        ping_interval: float | None = 0.2,
        clock: Clock | None = None,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_token = bot_token or f"xoxb-{team_id}-{secrets.token_hex(12)}"
        self.app_token = app_token or f"xapp-1-{app_id}-{secrets.token_hex(12)}"
        self.clock = clock or Clock()
        self.faults = Faults()
        domain = re.sub(r"[^a-z0-9-]+", "-", team_name.lower()).strip("-") or "workspace"
        self.identity = AppIdentity(
            team_id=team_id, team_domain=domain, app_id=app_id, bot_id=bot_id, bot_user_id=bot_user_id
        )
        self.workspace = Workspace(
            identity=self.identity, team_name=team_name, bot_name=bot_name, clock=self.clock
        )
        self.workspace.emit = self._emit
        self.interactions = Interactions(self.workspace, trigger_ttl=trigger_ttl)
        self._server = ServerThread(host=host, port=port)
        self.hub = SocketHub(
            loop=self._server.loop,
            app_id=app_id,
            faults=self.faults,
            ack_timeout=ack_timeout,
            max_retries=max_retries,
            ping_interval=ping_interval,
        )
        self.hub.on_ack = self._on_ack
        self.webapi = WebApi(
            workspace=self.workspace,
            interactions=self.interactions,
            hub=self.hub,
            faults=self.faults,
            handlers={**MISC_METHODS, **CHAT_METHODS, **CONVERSATION_METHODS},
            app_token_methods=APP_TOKEN_METHODS,
            bot_token=self.bot_token,
            app_token=self.app_token,
            scopes=scopes,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackEmulator:
        """Listen on the loopback port; returns once connections are accepted."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.webapi.handle)
        app.router.add_get("/link/", self.hub.handle)
        app.router.add_get("/link", self.hub.handle)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/health", self._health)
        self._server.start(app, on_shutdown=lambda: self.hub.drop(abrupt=True))
        self.webapi.base_url = self.interactions.base_url = self.base_url
        return self

    def stop(self) -> None:
        """Close every socket and stop serving; safe to call twice."""
        self._server.stop()

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def api_url(self) -> str:
        """Give this to `WebClient(base_url=...)`."""
        return f"{self.base_url}/api/"

    @property
    def connections(self) -> int:
        """Open Socket Mode connections that got their `hello`."""
        return self.hub.connections

    @property
    def ack_timeout(self) -> float | None:
        """Seconds before an unacknowledged event is redelivered (None: never redeliver)."""
        return self.hub.ack_timeout

    @ack_timeout.setter
    def ack_timeout(self, seconds: float | None) -> None:
        self.hub.ack_timeout = seconds

    def advance(self, seconds: float) -> None:
        """Move the emulated clock forward (every later `ts` and event time follows it)."""
        self.clock.advance(seconds)

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    # ------------------------------------------------------------------ workspace setup

    def add_user(
        self,
        user_id: str | None = None,
        name: str = "alice",
        real_name: str | None = None,
        locale: str = "en-US",
        tz: str = "Asia/Seoul",
        is_admin: bool = False,
        *,
        display_name: str = "",
        email: str | None = None,
    ) -> str:
        """Add a person; returns their id (`U...`). Like Slack, `display_name` is empty unless set."""
        return self.workspace.add_user(
            user_id,
            name=name,
            real_name=real_name or name.title(),
            display_name=display_name,
            locale=locale,
            tz=tz,
            is_admin=is_admin,
            email=email,
        )

    def add_channel(
        self,
        name: str = "general",
        is_private: bool = False,
        is_im: bool = False,
        members: Iterable[str] | None = None,
        bot_member: bool = True,
        *,
        is_mpim: bool = False,
        topic: str = "",
        purpose: str = "",
    ) -> str:
        """Add a conversation (`members=None`: every person so far); returns `C...`, `G...` or `D...`."""
        kind: ChannelKind = "im" if is_im else "mpim" if is_mpim else "private" if is_private else "public"
        return self.workspace.add_channel(
            name, kind=kind, members=members, bot_member=bot_member, topic=topic, purpose=purpose
        )

    def open_dm(self, user: str) -> str:
        """The id of the bot's IM with `user` (created on first use)."""
        return self.workspace.open_im(user).id

    def join(self, channel: str, user: str | None = None, *, deliver: bool = True) -> None:
        """`user` (the bot when None) joins `channel`; delivers `member_joined_channel`."""
        self.workspace.join(channel, user or self.bot_user_id, deliver=deliver)

    # ------------------------------------------------------------------ people act

    def post_message(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        *,
        blocks: list[dict[str, Any]] | None = None,
        reply_broadcast: bool = False,
        deliver: bool = True,
    ) -> str:
        """A person posts; the bot gets `message` (and `app_mention` when mentioned) if it is a member."""
        _channel, message = self.workspace.post(
            channel,
            user,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            reply_broadcast=reply_broadcast,
            deliver=deliver,
        )
        return str(message["ts"])

    def edit_message(self, channel: str, ts: str, new_text: str, *, deliver: bool = True) -> None:
        """The author edits a message; delivers `message_changed`."""
        with self.workspace.lock:
            author = self.workspace.store.raw(self.workspace.channel(channel).id, ts).get("user", "")
            self.workspace.edit(channel, ts, editor=author, text=new_text, deliver=deliver)

    def delete_message(self, channel: str, ts: str, *, deliver: bool = True) -> None:
        """The author deletes a message; delivers `message_deleted`."""
        with self.workspace.lock:
            author = self.workspace.store.raw(self.workspace.channel(channel).id, ts).get("user", "")
            self.workspace.delete(channel, ts, deleter=author, deliver=deliver)

    def add_reaction(self, channel: str, ts: str, user: str, name: str, *, deliver: bool = True) -> None:
        self.workspace.react(channel, ts, user, name, add=True, deliver=deliver)

    def remove_reaction(self, channel: str, ts: str, user: str, name: str, *, deliver: bool = True) -> None:
        self.workspace.react(channel, ts, user, name, add=False, deliver=deliver)

    def deliver_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        times: int = 1,
        retry_reason: str = "timeout",
    ) -> str:
        """Wrap `event` in an `event_callback`; deliver it `times` times (same event_id, rising retries)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        event = dict(event)
        event.setdefault("event_ts", self.clock.next_ts())
        event_id = event_id or events.new_event_id()
        payload = events.event_callback(
            self.identity, event, event_id=event_id, event_time=int(self.clock.now())
        )
        self.hub.submit_event(payload, times=times, retry_reason=retry_reason)
        return event_id

    def send_slash_command(
        self, command: str = "/kiok", text: str = "help", *, user: str, channel: str
    ) -> SocketResponse:
        """A person runs a slash command; `.wait()` on the result gives the app's ack payload."""
        payload = self.interactions.slash_command(
            command=command, text=text, user_id=user, channel_ref=channel
        )
        return self.hub.submit("slash_commands", payload)

    def send_interactive(self, payload: dict[str, Any]) -> SocketResponse:
        """Deliver an interactive payload (block_actions, view_submission, shortcut ...).

        Missing `team`, `api_app_id`, `token`, `trigger_id` and (with a channel) `response_url` are filled in.
        """
        return self.hub.submit("interactive", self.interactions.complete_interactive(payload))

    # ------------------------------------------------------------------ what the app did

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages of `channel` (thread broadcasts included), oldest first."""
        return self.workspace.messages(channel)

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """A thread's parent and replies, oldest first."""
        return self.workspace.thread(channel, thread_ts)

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        return self.interactions.ephemerals(channel, user)

    def views(self, user: str) -> dict[str, Any] | None:
        """The App Home last published for `user`."""
        return self.interactions.home(user)

    def modals(self, user: str | None = None) -> list[dict[str, Any]]:
        """Modals opened or pushed: `{"user", "trigger_id", "push", "view"}`."""
        return self.interactions.modals(user)

    def responses(self) -> list[dict[str, Any]]:
        """Bodies posted to response URLs (and slash-command ack payloads)."""
        return self.interactions.responses()

    def calls(self, method: str | None = None) -> list[ApiCall]:
        return self.webapi.calls(method)

    def acks(self) -> list[dict[str, Any]]:
        """Ack frames received from the app, in arrival order."""
        return self.hub.acks()

    def envelopes(self) -> list[dict[str, Any]]:
        """Envelopes written to sockets, in order (retries included)."""
        return self.hub.envelopes()

    def event_acked(self, event_id: str) -> bool:
        return self.hub.event_acked(event_id)

    # ------------------------------------------------------------------ waiting and faults

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, *, interval: float = 0.01) -> T:
        """Poll `predicate` until it returns something truthy and return that; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"still false after {timeout} s: {_describe(predicate)}")
            time.sleep(interval)

    def wait_connected(self, timeout: float = 10.0, *, count: int = 1) -> None:
        """Until at least `count` Socket Mode clients are connected and have been sent `hello`."""
        self.wait_for(lambda: self.connections >= count, timeout)

    def drop_sockets(self, *, abrupt: bool = False) -> None:
        """Close every socket at once: a `going away` close frame, or (abrupt) cut TCP with no frame."""
        if not self._server.running:
            raise EmulatorError("the emulator is not running; call start() first")
        self._server.run(self.hub.drop(abrupt=abrupt))

    def request_refresh(self, reason: str = "refresh_requested") -> None:
        """Send `{"type": "disconnect", "reason": ...}`; the client must call apps.connections.open again."""
        self.hub.refresh(reason)

    # ------------------------------------------------------------------ loop-side plumbing

    def _emit(self, event: dict[str, Any]) -> None:
        payload = events.event_callback(
            self.identity, event, event_id=events.new_event_id(), event_time=int(self.clock.now())
        )
        self.hub.submit_event(payload)

    def _on_ack(self, envelope: dict[str, Any], payload: dict[str, Any] | None) -> None:
        """A slash command's ack payload is its response: shown to the user, or in channel if asked."""
        if envelope["type"] != "slash_commands" or not payload:
            return
        key = str(envelope["payload"].get("response_url", "")).rsplit("/", 1)[-1]
        self.interactions.respond(key, payload, source="command_ack")

    async def _response_url(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        try:
            found = self.interactions.respond(request.match_info["key"], body)
        except ApiError as e:
            return web.Response(status=400, text=e.error)
        if not found:
            return web.Response(status=404, text="no_service")
        return web.Response(text="ok")


def _describe(predicate: Callable[[], Any]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
