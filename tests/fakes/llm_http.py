"""What the fake LLM servers share: a loopback HTTP server, scripted answers, recorded requests, faults."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it; `body` is the decoded JSON (None when there was none)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    """A responder's answer: pieces streamed in order; counts left None are filled in by the fake."""

    pieces: Iterable[str]
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    done_reason: str = "stop"


Responder = Callable[[dict[str, Any]], "str | Reply"]


class ResponderError(Exception):
    """Raised by a responder to refuse a request; the fake answers with `status` and `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DroppedConnection(Exception):
    """Raised inside the fake to close the socket without finishing the response."""


def split_words(text: str) -> list[str]:
    """Word-sized pieces that join back to `text`, each carrying its leading space like BPE tokens."""
    return re.findall(r"\s*\S+|\s+", text)


def prompt_text(body: dict[str, Any]) -> str:
    """All prompt text of a chat (`messages`) or generate (`prompt`, `system`) request body."""
    texts = [str(m.get("content") or "") for m in body.get("messages") or [] if isinstance(m, dict)]
    return " ".join([*texts, str(body.get("system") or ""), str(body.get("prompt") or "")]).strip()


@dataclass
class _Faults:
    failures: deque[tuple[int, Any, str | None]] = field(default_factory=deque)
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    stall: tuple[int, float] | None = None
    drop_after: int | None = None


class Exchange:
    """One request/response on the wire, with chunked streaming written by hand as real servers do."""

    def __init__(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        self.handler = handler
        self.method = handler.command
        self.path = handler.path.split("?", 1)[0]
        self.body = body
        self._streaming = False
        self._headers_sent = False
        self._content_type = ""

    def send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else self._encode(payload, content_type)
        self.handler.send_response(status)
        self.handler.send_header("Content-Type", content_type)
        self.handler.send_header("Content-Length", str(len(data)))
        self.handler.end_headers()
        self.handler.wfile.write(data)
        self.handler.wfile.flush()

    def start_stream(self, content_type: str, *, eager: bool) -> None:
        """Begin a chunked response; headers go out now (`eager`) or with the first chunk (like Go)."""
        self._streaming, self._content_type = True, content_type
        if eager:
            self._send_stream_headers()

    def chunk(self, data: str) -> None:
        if not self._headers_sent:
            self._send_stream_headers()
        raw = data.encode()
        self.handler.wfile.write(f"{len(raw):X}\r\n".encode() + raw + b"\r\n")
        self.handler.wfile.flush()

    def end_stream(self) -> None:
        if not self._headers_sent:
            self._send_stream_headers()
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()

    def drop(self) -> None:
        """Close the socket mid-response; the client sees an incomplete message."""
        self.handler.close_connection = True

    def _send_stream_headers(self) -> None:
        self.handler.send_response(200)
        self.handler.send_header("Content-Type", self._content_type)
        self.handler.send_header("Transfer-Encoding", "chunked")
        self.handler.end_headers()
        self.handler.wfile.flush()
        self._headers_sent = True

    @staticmethod
    def _encode(payload: Any, content_type: str) -> bytes:
        if isinstance(payload, str) and not content_type.startswith("application/json"):
            return payload.encode()
        return json.dumps(payload).encode()


class FakeLLMServer:
    """Base of FakeOllama and FakeOpenAI: subclasses implement `route`; tests steer answers and faults.

    `fail_next` and `drop_connection` apply to the next request(s) only; the delays stay until `reset()`.
    """

    def __init__(self, *, responder: Responder | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self.responder: Responder = responder or self.scripted
        self._queue: deque[str] = deque()
        self._faults = _Faults()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)

    # Lifecycle ------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def _serve(self) -> None:
        self._httpd.serve_forever(poll_interval=0.02)  # The default 0.5 s would slow every stop().

    def stop(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def go_down(self) -> None:
        """Stop listening, like a stopped server: connections are refused until `come_back()`."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def come_back(self) -> None:
        """Listen again on the same port (after `go_down()`)."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Steering -------------------------------------------------------------------------------------
    def enqueue(self, *texts: str) -> None:
        """Answer the next generation requests with these texts, in order."""
        self._queue.extend(texts)

    def fail_next(self, status: int, body: Any = None, *, times: int = 1, path: str | None = None) -> None:
        """Answer the next `times` requests (to `path`, if given) with this status and body."""
        with self._lock:
            self._faults.failures.extend([(status, body, path)] * times)

    def delay_first_token(self, seconds: float) -> None:
        """Think this long before the first piece: a model still loading or reading a long prompt."""
        self._faults.first_token_delay = seconds

    def token_delay(self, seconds: float) -> None:
        """Sleep this long before every piece after the first: a slow but steady model."""
        self._faults.token_delay = seconds

    def stall_after(self, n_tokens: int, seconds: float) -> None:
        """Go silent for `seconds` once `n_tokens` pieces have been sent."""
        self._faults.stall = (n_tokens, seconds)

    def drop_connection(self, after_tokens: int = 1) -> None:
        """Close the socket of the next generation after `after_tokens` pieces."""
        self._faults.drop_after = after_tokens

    def reset(self) -> None:
        """Forget every fault and delay."""
        with self._lock:
            self._faults = _Faults()

    def bodies(self, path: str) -> list[Any]:
        """JSON bodies of the recorded requests to `path`."""
        return [r.body for r in self.requests if r.path == path]

    # For subclasses -------------------------------------------------------------------------------
    def route(self, exchange: Exchange) -> None:
        raise NotImplementedError

    def scripted(self, body: dict[str, Any]) -> str:
        """The default responder: the enqueued texts, then an echo of the prompt's last words."""
        if self._queue:
            return self._queue.popleft()
        return "You said: " + " ".join(prompt_text(body).split()[-8:])

    def answer(self, body: dict[str, Any]) -> Reply:
        reply = self.responder(body)
        return Reply(split_words(reply)) if isinstance(reply, str) else reply

    def paced(self, pieces: Iterable[str]) -> Iterator[str]:
        """The pieces with the configured delays, stall and drop applied."""
        with self._lock:
            faults, drop_after = self._faults, self._faults.drop_after
            self._faults.drop_after = None
        for index, piece in enumerate(pieces):
            delay = faults.first_token_delay if index == 0 else faults.token_delay
            if delay:
                self.sleep(delay)
            if faults.stall and index == faults.stall[0]:
                self.sleep(faults.stall[1])
            if drop_after is not None and index == drop_after:
                raise DroppedConnection
            yield piece
        if drop_after is not None:
            raise DroppedConnection

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops, so no thread outlives a test for long."""
        self._closing.wait(seconds)

    def _dispatch(self, exchange: Exchange) -> None:
        headers = {k.lower(): v for k, v in exchange.handler.headers.items()}
        self.requests.append(RecordedRequest(exchange.method, exchange.path, headers, exchange.body))
        with self._lock:
            failure = next((f for f in self._faults.failures if f[2] in (None, exchange.path)), None)
            if failure is not None:
                self._faults.failures.remove(failure)
        if failure is not None:
            status, body, _ = failure
            content_type = "text/plain" if isinstance(body, str) else "application/json"
            exchange.send(status, {"error": "injected failure"} if body is None else body, content_type)
            return
        try:
            self.route(exchange)
        except DroppedConnection:
            exchange.drop()
        except (BrokenPipeError, ConnectionResetError):
            exchange.drop()  # The client gave up (timeout or closed stream); nothing left to say.


def now_ns() -> int:
    """A monotonic clock in nanoseconds, the unit of Ollama's durations."""
    return time.perf_counter_ns()


def _handler_for(owner: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw.decode(errors="replace")
            owner._dispatch(Exchange(self, body))

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
