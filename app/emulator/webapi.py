"""The Web API face: `/api/<method>` over GET and POST, token checks, faults and the call log."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from app.emulator.errors import ApiError
from app.emulator.faults import Faults
from app.emulator.interactions import Interactions
from app.emulator.socket import SocketHub
from app.emulator.state import Workspace

__all__ = ["DEFAULT_SCOPES", "ApiCall", "Ctx", "Handler", "WebApi"]

log = logging.getLogger(__name__)

DEFAULT_SCOPES = (
    "app_mentions:read,channels:history,channels:join,channels:read,chat:write,commands,groups:history,"
    "groups:read,im:history,im:read,im:write,mpim:history,mpim:read,reactions:read,reactions:write,"
    "users:read"
)

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class ApiCall:
    """One recorded Web API call. `time` is real wall-clock time, not the emulated clock."""

    method: str
    args: dict[str, Any]
    token: str
    time: float
    status: int
    response: dict[str, Any]


@dataclass
class Ctx:
    """What a method handler gets: the workspace, the call's merged arguments, typed accessors."""

    workspace: Workspace
    interactions: Interactions
    hub: SocketHub
    base_url: str
    args: dict[str, Any]

    def string(self, name: str, default: str = "") -> str:
        value = self.args.get(name)
        return default if value is None else str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def integer(self, name: str, default: int) -> int:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments", f"{name} must be an integer") from None

    def limit(self, default: int, maximum: int = 1000) -> int:
        value = self.integer("limit", default)
        return default if value <= 0 else min(value, maximum)

    def structured(self, name: str, error: str = "invalid_arguments") -> Any:
        """A structured argument, sent either as JSON or as a JSON-encoded string (form bodies)."""
        value = self.args.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(error, f"{name} is not valid JSON") from None
        return value


Handler = Callable[[Ctx], dict[str, Any]]


class WebApi:
    """Routes `/api/<method>` to handlers; bot-token methods and app-token methods are checked apart."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        interactions: Interactions,
        hub: SocketHub,
        faults: Faults,
        handlers: dict[str, Handler],
        app_token_methods: Sequence[str],
        bot_token: str,
        app_token: str,
        scopes: str = DEFAULT_SCOPES,
    ) -> None:
        self.workspace = workspace
        self.interactions = interactions
        self.hub = hub
        self.faults = faults
        self.handlers = handlers
        self.app_token_methods = frozenset(app_token_methods)
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes = scopes
        self.base_url = ""
        self._lock = threading.Lock()
        self._calls: list[ApiCall] = []

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        started = time.time()
        args: dict[str, Any] = dict(request.query)
        body_error = await self._read_body(request, args)
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else str(args.get("token", ""))
        args.pop("token", None)
        headers: dict[str, str] = {}
        seconds, fault = self.faults.take(method)
        if seconds:
            await asyncio.sleep(seconds)
        if fault is not None:
            status, result = fault.status, {"ok": False, "error": fault.error}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
        elif body_error:
            status, result = 200, {"ok": False, "error": body_error}
        else:
            status, result = self._invoke(method, token, args)
        if token == self.bot_token:
            headers["x-oauth-scopes"] = self.scopes
        with self._lock:
            self._calls.append(ApiCall(method, copy.deepcopy(args), token, started, status, result))
        return web.json_response(result, status=status, headers=headers)

    @staticmethod
    async def _read_body(request: web.Request, args: dict[str, Any]) -> str:
        if request.method != "POST" or not request.can_read_body:
            return ""
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return "invalid_json"
            if not isinstance(body, dict):
                return "invalid_json"
            args.update(body)
        elif request.content_type in _FORM_TYPES:
            form = await request.post()
            args.update({k: v if isinstance(v, str) else str(v) for k, v in form.items()})
        return ""

    def _auth_error(self, method: str, token: str) -> str:
        wanted = self.app_token if method in self.app_token_methods else self.bot_token
        if not token:
            return "not_authed"
        if token == wanted:
            return ""
        if token in (self.app_token, self.bot_token):
            return "not_allowed_token_type"
        return "invalid_auth"

    def _invoke(self, method: str, token: str, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        handler = self.handlers.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}
        error = self._auth_error(method, token)
        if error:
            return 200, {"ok": False, "error": error}
        ctx = Ctx(self.workspace, self.interactions, self.hub, self.base_url, args)
        try:
            return 200, {"ok": True, **handler(ctx)}
        except ApiError as e:
            return 200, {"ok": False, "error": e.error, **e.extra}
        except Exception:
            log.exception("emulator bug while handling %s", method)
            return 500, {"ok": False, "error": "fatal_error"}
