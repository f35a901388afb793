"""Socket Mode: connections on /link/, envelopes, acks, retries and the queue for disconnected periods.

Everything named with a leading underscore runs on the emulator's event loop; the public methods are
thread-safe and hop onto the loop with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import itertools
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from app.emulator.faults import Faults

__all__ = ["AckHook", "SocketHub", "SocketResponse"]

log = logging.getLogger(__name__)

AckHook = Callable[[dict[str, Any], dict[str, Any] | None], None]


class SocketResponse:
    """Handle on one slash-command or interactive envelope; `wait` returns the app's ack payload."""

    def __init__(self, envelope_type: str, payload: dict[str, Any]) -> None:
        self.envelope_id = str(uuid.uuid4())
        self.type = envelope_type
        self.payload = payload
        self._future: concurrent.futures.Future[dict[str, Any] | None] = concurrent.futures.Future()

    @property
    def acked(self) -> bool:
        return self._future.done()

    def wait(self, timeout: float = 10.0) -> dict[str, Any] | None:
        """The ack's `payload` (None for a bare ack); TimeoutError if the app sent no ack in time."""
        try:
            return self._future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(
                f"no ack for {self.type} envelope {self.envelope_id} within {timeout} s "
                "(Bolt sends none when no listener matches or ack() is never called)"
            ) from None

    def _resolve(self, payload: dict[str, Any] | None) -> None:
        if not self._future.done():
            self._future.set_result(payload)


@dataclass
class _Delivery:
    """One Events API event (one event_id) across all its delivery attempts."""

    payload: dict[str, Any]
    retry_reason: str
    next_attempt: int = 0
    missed: bool = False
    acked: bool = False


@dataclass
class _Outgoing:
    type: str
    payload: dict[str, Any]
    delivery: _Delivery | None = None
    response: SocketResponse | None = None


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    request: web.Request
    number: int
    outbox: asyncio.Queue[_Outgoing | str] = field(default_factory=asyncio.Queue)
    ready: bool = False
    closed: bool = False
    draining: bool = False


class SocketHub:
    """Socket Mode server side: hands each envelope to one open connection, tracks acks, redelivers."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        app_id: str,
        faults: Faults,
        ack_timeout: float | None = 3.0,
        max_retries: int = 3,
        refresh_grace: float = 5.0,
        ping_interval: float | None = 0.2,
    ) -> None:
        self.loop = loop
        self.app_id = app_id
        self.faults = faults
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.refresh_grace = refresh_grace
        self.ping_interval = ping_interval
        self.on_ack: AckHook = lambda envelope, payload: None
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self._conns: list[_Connection] = []
        self._numbers = itertools.count(1)
        self._rotation = itertools.count()
        self._queue: list[_Outgoing] = []
        self._pending: dict[str, tuple[dict[str, Any], _Outgoing]] = {}
        self._deliveries: dict[str, _Delivery] = {}
        self._acks: list[dict[str, Any]] = []
        self._sent: list[dict[str, Any]] = []
        self._lost: list[str] = []

    # ------------------------------------------------------------------ thread-safe API

    def mint_ticket(self) -> str:
        ticket = secrets.token_urlsafe(16)
        with self._lock:
            self._tickets.add(ticket)
        return ticket

    @property
    def connections(self) -> int:
        """Open connections that have been sent `hello`."""
        return sum(1 for c in list(self._conns) if c.ready and not c.closed)

    def submit_event(self, payload: dict[str, Any], *, times: int = 1, retry_reason: str = "timeout") -> None:
        """Deliver an `event_callback` payload `times` times; attempt n carries `retry_attempt` n."""
        delivery = _Delivery(payload=payload, retry_reason=retry_reason)

        def start() -> None:
            self._deliveries[payload["event_id"]] = delivery
            for _ in range(times):
                self._dispatch(_Outgoing("events_api", payload, delivery=delivery))

        self.loop.call_soon_threadsafe(start)

    def submit(self, envelope_type: str, payload: dict[str, Any]) -> SocketResponse:
        """Deliver a `slash_commands` or `interactive` payload once; Slack never retries these."""
        response = SocketResponse(envelope_type, payload)
        outgoing = _Outgoing(envelope_type, payload, response=response)
        self.loop.call_soon_threadsafe(self._dispatch, outgoing)
        return response

    def event_acked(self, event_id: str) -> bool:
        delivery = self._deliveries.get(event_id)
        return delivery is not None and delivery.acked

    def acks(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._acks)

    def envelopes(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._sent)

    def lost_events(self) -> list[str]:
        """Event ids dropped because no socket was open (`faults.lose_events_while_disconnected`)."""
        return list(self._lost)

    async def drop(self, *, abrupt: bool) -> None:
        """Close every connection: with a close frame (going away), or by cutting TCP when `abrupt`."""
        for conn in list(self._conns):
            conn.closed = True
            if not abrupt:
                with contextlib.suppress(TimeoutError, ConnectionError, RuntimeError):
                    await asyncio.wait_for(conn.ws.close(code=1001, message=b"going away"), 2.0)
            if conn.request.transport is not None:
                conn.request.transport.abort()

    def refresh(self, reason: str) -> None:
        """Send a `disconnect` frame to every connection; close them after `refresh_grace` seconds."""

        def send() -> None:
            frame = json.dumps(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emu"}}
            )
            for conn in list(self._conns):
                conn.draining = True
                conn.outbox.put_nowait(frame)
                self.loop.call_later(self.refresh_grace, self._expire, conn)

        self.loop.call_soon_threadsafe(send)

    # ------------------------------------------------------------------ loop side

    def _expire(self, conn: _Connection) -> None:
        if not conn.closed and conn.request.transport is not None:
            conn.request.transport.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The /link/ route: validate the ticket, upgrade, say hello, then read acks until the socket ends."""
        ticket = request.query.get("ticket", "")
        with self._lock:
            if ticket not in self._tickets:
                raise web.HTTPUnauthorized(text="invalid or used ticket; call apps.connections.open")
            self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True, timeout=1.0)
        await ws.prepare(request)
        conn = _Connection(ws=ws, request=request, number=next(self._numbers))
        self._conns.append(conn)
        conn.outbox.put_nowait(self._hello())
        queued, self._queue = self._queue, []
        for outgoing in queued:
            conn.outbox.put_nowait(outgoing)
        writer = asyncio.create_task(self._write(conn))
        pinger = asyncio.create_task(self._ping(conn))
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self._on_frame(message.data)
        except (ConnectionError, asyncio.CancelledError):
            log.debug("socket %s ended without a close frame", conn.number)
        finally:
            conn.closed = True
            self._conns.remove(conn)
            writer.cancel()
            pinger.cancel()
            self._requeue(conn)
        return ws

    def _hello(self) -> str:
        return json.dumps(
            {
                "type": "hello",
                "num_connections": self.connections + 1,
                "connection_info": {"app_id": self.app_id},
                "debug_info": {
                    "host": "applink-emu",
                    "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
            }
        )

    def _pick(self) -> _Connection | None:
        open_conns = [c for c in self._conns if not c.closed]
        preferred = [c for c in open_conns if not c.draining] or open_conns
        if not preferred:
            return None
        return preferred[next(self._rotation) % len(preferred)]

    def _dispatch(self, outgoing: _Outgoing) -> None:
        conn = self._pick()
        if conn is None:
            if outgoing.delivery is not None:
                if self.faults.loses_events:
                    self._lost.append(outgoing.payload["event_id"])
                    return
                outgoing.delivery.missed = True
            self._queue.append(outgoing)
            return
        conn.outbox.put_nowait(outgoing)

    def _requeue(self, conn: _Connection) -> None:
        while not conn.outbox.empty():
            item = conn.outbox.get_nowait()
            if isinstance(item, _Outgoing):
                self._dispatch(item)

    def _envelope(self, outgoing: _Outgoing) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "envelope_id": outgoing.response.envelope_id if outgoing.response else str(uuid.uuid4()),
            "payload": outgoing.payload,
            "type": outgoing.type,
            "accepts_response_payload": outgoing.type != "events_api",
        }
        delivery = outgoing.delivery
        if delivery is not None:
            attempt = delivery.next_attempt
            if attempt == 0 and delivery.missed:
                attempt = 1
            delivery.next_attempt = attempt + 1
            envelope["retry_attempt"] = attempt
            envelope["retry_reason"] = delivery.retry_reason if attempt else ""
        return envelope

    async def _write(self, conn: _Connection) -> None:
        item: _Outgoing | str | None = None
        try:
            while True:
                item = await conn.outbox.get()
                if conn.closed:
                    if isinstance(item, _Outgoing):
                        self._dispatch(item)
                    return
                if isinstance(item, str):
                    await conn.ws.send_str(item)
                    conn.ready = True
                    continue
                envelope = self._envelope(item)
                await conn.ws.send_str(json.dumps(envelope))
                self._sent_ok(envelope, item)
                item = None
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            conn.closed = True
            if isinstance(item, _Outgoing):
                self._dispatch(item)
            if conn.request.transport is not None:
                conn.request.transport.abort()

    async def _ping(self, conn: _Connection) -> None:
        """Ping like Slack does. Besides keep-alive, this wakes the builtin client's blocking `recv`, which
        otherwise holds its receive lock (and so `SocketModeHandler.close()`) for seconds."""
        if not self.ping_interval:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            while not conn.closed:
                await asyncio.sleep(self.ping_interval)
                await conn.ws.ping(b"emulator")

    def _sent_ok(self, envelope: dict[str, Any], outgoing: _Outgoing) -> None:
        with self._lock:
            self._sent.append(copy.deepcopy(envelope))
        self._pending[envelope["envelope_id"]] = (envelope, outgoing)
        delivery = outgoing.delivery
        if delivery is not None and self.ack_timeout is not None:
            attempt = envelope["retry_attempt"]
            self.loop.call_later(self.ack_timeout, self._check_ack, delivery, attempt)

    def _check_ack(self, delivery: _Delivery, attempt: int) -> None:
        """Redeliver like Slack when the latest attempt of an event got no ack in time."""
        if delivery.acked or delivery.next_attempt != attempt + 1 or attempt >= self.max_retries:
            return
        self._dispatch(_Outgoing("events_api", delivery.payload, delivery=delivery))

    def _on_frame(self, data: str) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            log.warning("ignoring a non-JSON frame from the client: %.200s", data)
            return
        if not isinstance(frame, dict) or "envelope_id" not in frame:
            log.debug("ignoring a frame that is not an ack: %.200s", data)
            return
        if self.faults.take_ignored_ack():
            log.info("losing ack %s on purpose (faults.ignore_acks)", frame["envelope_id"])
            return
        with self._lock:
            self._acks.append(frame)
        found = self._pending.pop(frame["envelope_id"], None)
        if found is None:
            return
        envelope, outgoing = found
        payload = frame.get("payload")
        if outgoing.delivery is not None:
            outgoing.delivery.acked = True
        if outgoing.response is not None:
            outgoing.response._resolve(payload)
        try:
            self.on_ack(envelope, payload)
        except Exception:
            log.exception("applying the ack of %s failed", frame["envelope_id"])
