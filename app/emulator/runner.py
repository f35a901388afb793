"""Runs an aiohttp application on its own event loop in a daemon thread, so sync code can use it."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

__all__ = ["ServerThread"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class ServerThread:
    """One event loop and one listening socket; `start` returns once the port is bound."""

    def __init__(self, *, host: str, port: int, name: str = "slack-emulator") -> None:
        self.host = host
        self.port = port
        self.loop = asyncio.new_event_loop()
        self._name = name
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._on_shutdown: Callable[[], Awaitable[None]] | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._ready.is_set()

    def start(
        self, app: web.Application, *, on_shutdown: Callable[[], Awaitable[None]], timeout: float = 10.0
    ) -> None:
        if self._thread is not None:
            raise RuntimeError("the emulator was already started (it cannot be restarted after stop)")
        self._on_shutdown = on_shutdown
        self._thread = threading.Thread(target=self._run, args=(app,), name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the emulator did not start listening within {timeout} s")
        if self._error is not None:
            raise RuntimeError(f"the emulator could not listen on {self.host}:{self.port}: {self._error}")

    def _run(self, app: web.Application) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve(app))
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self._cleanup())
            self.loop.close()

    async def _serve(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _cleanup(self) -> None:
        if self._on_shutdown is not None:
            try:
                await self._on_shutdown()
            except Exception:
                log.exception("emulator shutdown hook failed")
        if self._runner is not None:
            await self._runner.cleanup()
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks(self.loop) if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread; safe to call twice."""
        if self._thread is None or not self._thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` on the loop soon (thread-safe, returns at once)."""
        self.loop.call_soon_threadsafe(fn, *args)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run `coro` on the loop and wait for its result from another thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)
