"""`kiok sandbox`: the Slack emulator and the real Kiok bot in one process, driven from a console."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import platformdirs
from pydantic import SecretStr

from app.bootstrap import Bot, build_memory, open_store
from app.config import SlackSettings
from app.emulator import Clock, SlackEmulator
from app.importer.export import import_export
from app.sandbox.console import Hooks, Session
from app.sandbox.feed import Feed
from app.sandbox.models import LLMChoice, choose_embedder, choose_llm
from app.sandbox.screen import Refs, Screen
from app.sandbox.transcript import ErrorCapture, Transcript
from app.sandbox.workspace import (
    DEMO_DIR,
    TEAM_ID,
    TEAM_NAME,
    demo_shift_days,
    last_ts,
    load_export,
    populate_default,
    save_export,
    shift_export,
)
from app.settings import Settings
from memory.config import VectorSettings
from memory.embeddings.base import Embedder
from memory.vectors.base import IndexMismatch

log = logging.getLogger(__name__)

SEEDS = ("demo",)
CONNECT_SECONDS = 20
MARKER = ".kiok-sandbox"
STATE_FILE = "sandbox.json"
WORKSPACE_DIR = "workspace"
_DB_FILES = ("kiok.db", "kiok.db-wal", "kiok.db-shm", "kiok.db-journal")
_OWNED = (*_DB_FILES, "qdrant", WORKSPACE_DIR, STATE_FILE, "sandbox.log", ".history")


class SandboxError(Exception):
    """The sandbox cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class SandboxOptions:
    data_dir: Path | None = None
    fresh: bool = False
    seed: str | None = None
    script: Path | None = None  # Path("-") reads standard input
    json: bool = False
    llm: LLMChoice = "auto"
    timeout: float = 180.0


@dataclass
class _State:
    """Kept in sandbox.json between runs: whether the demo is loaded, and how late the clock got."""

    seeded: list[str] = field(default_factory=list)
    clock: float = 0.0

    @classmethod
    def load(cls, path: Path) -> _State:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(seeded=list(data.get("seeded", [])), clock=float(data.get("clock", 0.0)))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"seeded": self.seeded, "clock": self.clock}), encoding="utf-8")


def sandbox_dir(settings: Settings, options: SandboxOptions) -> Path:
    return (options.data_dir or settings.data_dir / "sandbox").expanduser()


def prepare_dir(data_dir: Path, *, production: Path, fresh: bool) -> None:
    """Create (or, with `fresh`, empty) the sandbox directory; refuse one that holds anything else,
    since the sandbox writes a database there and `--fresh` deletes one."""
    if data_dir.resolve() == production.expanduser().resolve():
        raise SandboxError(
            f"{data_dir} is Kiok's own data directory; the sandbox keeps its stores apart. "
            "Choose another --data-dir."
        )
    marker = data_dir / MARKER
    if data_dir.exists() and any(data_dir.iterdir()) and not marker.exists():
        raise SandboxError(f"{data_dir} is not empty and not a sandbox directory; choose a new --data-dir.")
    if fresh:
        wipe(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.touch()


def wipe(data_dir: Path) -> None:
    """Remove what the sandbox keeps in `data_dir`, and nothing else (it may be a directory of yours)."""
    for name in _OWNED:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def proxy_problem() -> str:
    """Slack's clients send even loopback traffic through HTTP(S)_PROXY (they ignore NO_PROXY)."""
    proxies = urllib.request.getproxies()
    if not (proxies.get("http") or proxies.get("https")):
        return ""
    return (
        "A proxy is configured (HTTP_PROXY/HTTPS_PROXY), and Slack's SDK would send the sandbox's loopback "
        "traffic through it. Run without it: env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy "
        "kiok sandbox"
    )


class Sandbox:
    """Owns the emulator and the bot; `run()` returns the exit status."""

    def __init__(self, settings: Settings, options: SandboxOptions, *, notice: Callable[[str], None]):
        self.settings, self.options, self.notice = settings, options, notice
        self.data_dir = sandbox_dir(settings, options)
        self.transcript = Transcript()
        self.screen = Screen(None if options.json else sys.stdout)
        self.capture = ErrorCapture(self.transcript, echo=notice)

    def run(self, lines: Iterable[str] | None) -> int:
        if problem := proxy_problem():
            raise SandboxError(problem)
        if self.options.seed and self.options.seed not in SEEDS:
            raise SandboxError(f"unknown seed {self.options.seed!r}: choose one of {', '.join(SEEDS)}")
        _exit_on_sigterm()
        prepare_dir(self.data_dir, production=self.settings.data_dir, fresh=self.options.fresh)
        self._logging()
        cache = Path(platformdirs.user_cache_dir("kiok", appauthor=False)) / "models"
        chosen = choose_llm(self.settings.llm, self.options.llm, cache_dir=cache, notice=self.notice)
        embedder = choose_embedder(self.settings.embedding, notice=self.notice)
        state = _State.load(self.data_dir / STATE_FILE)
        snapshot = self.data_dir / WORKSPACE_DIR
        start = max(time.time(), state.clock, last_ts(snapshot) + 1)
        emu = SlackEmulator(team_id=TEAM_ID, team_name=TEAM_NAME, bot_name="kiok", clock=Clock(start=start))
        emu.start()
        bot: Bot | None = None
        try:
            if snapshot.exists():
                load_export(emu, snapshot)
            elif self.options.seed != "demo":
                populate_default(emu)
            settings = self._bot_settings(emu)
            _match_index(settings, embedder, self.notice)
            bot = Bot(
                settings,
                llm=chosen.client,
                embedder=embedder,
                clock=lambda: datetime.fromtimestamp(emu.clock.now(), UTC),
            )
            if self.options.seed == "demo":
                self._seed_demo(emu, bot, state)
            if not emu.workspace.humans():  # the saved workspace was removed by hand
                populate_default(emu)
            bot.start()
            try:
                emu.wait_connected(timeout=CONNECT_SECONDS)
            except TimeoutError:
                raise SandboxError(
                    f"Kiok did not connect to the emulator within {CONNECT_SECONDS} s; "
                    f"see {self.data_dir / 'sandbox.log'}"
                ) from None
            self.transcript.info.update(
                team=emu.team_id, model=chosen.description, data_dir=str(self.data_dir)
            )
            self.notice(
                f"Kiok is connected to the sandbox workspace ({self.data_dir}); model: {chosen.description}"
            )
            self._console(emu, bot, lines)
        finally:
            self.capture.enabled = False
            if bot is not None:
                bot.stop()
            save_export(emu, snapshot)
            state.clock = emu.clock.now()
            state.save(self.data_dir / STATE_FILE)
            emu.stop()
            logging.getLogger().removeHandler(self.capture)
        if self.options.json:
            sys.stdout.write(self.transcript.to_json() + "\n")
        return 0 if self.transcript.ok or lines is None else 1

    def _bot_settings(self, emu: SlackEmulator) -> Settings:
        """Production settings pointed at the emulator, with every store inside the sandbox directory."""
        slack = SlackSettings(
            bot_token=SecretStr(emu.bot_token),
            app_token=SecretStr(emu.app_token),
            api_url=emu.api_url,
            http_timeout=self.settings.slack.http_timeout,
            update_interval=self.settings.slack.update_interval,
        )
        vector = VectorSettings(collection=self.settings.vector.collection)
        return self.settings.model_copy(
            update={"data_dir": self.data_dir, "database_url": None, "slack": slack, "vector": vector}
        )

    def _seed_demo(self, emu: SlackEmulator, bot: Bot, state: _State) -> None:
        if "demo" in state.seeded:
            self.notice("The demo workspace is already loaded (use --fresh to load it anew).")
            return
        days = demo_shift_days(datetime.now(UTC).date())
        with tempfile.TemporaryDirectory(prefix="kiok-demo-") as tmp:
            shifted = Path(tmp) / "demo"
            shift_export(DEMO_DIR, shifted, days=days)
            load_export(emu, shifted)
            summary = import_export(shifted, bot.services.memory, team_id=emu.team_id)
        self.notice(f"Indexing {summary.messages} demo messages…")
        started = time.monotonic()
        bot.services.memory.indexer.index_pending()
        state.seeded.append("demo")
        seed = {"channels": summary.channels, "messages": summary.messages, "users": summary.users}
        self.transcript.add("seed", name="demo", threads=summary.threads, **seed)
        self.notice(
            f"Loaded the demo: {summary.channels} channels, {summary.messages} messages, "
            f"{summary.users} people (indexed in {time.monotonic() - started:.0f} s)."
        )

    def _console(self, emu: SlackEmulator, bot: Bot, lines: Iterable[str] | None) -> None:
        refs = Refs()
        feed = Feed(emu, self.screen, self.transcript, refs)
        session = Session(
            emu=emu,
            feed=feed,
            screen=self.screen,
            transcript=self.transcript,
            hooks=Hooks(services=bot.services, client=bot.client),
            timeout=self.options.timeout,
            warn=self.notice if self.options.json else self.screen.line,
        )
        if lines is not None:
            session.run_script(lines)
            feed.settle(timeout=self.options.timeout)
            return
        interact(session, self.screen, self.data_dir / ".history")

    def _logging(self) -> None:
        root = logging.getLogger()
        root.setLevel(self.settings.log_level)
        handler = logging.FileHandler(self.data_dir / "sandbox.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.addHandler(self.capture)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so the workspace is saved and the bot disconnects cleanly."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    with contextlib.suppress(ValueError):  # not in the main thread (tests calling run() directly)
        signal.signal(signal.SIGTERM, stop)


def _match_index(settings: Settings, embedder: Embedder, notice: Callable[[str], None]) -> None:
    """Rebuild the sandbox's vector index when it was built with another embedding model (the sandbox
    may fall back to a bundled model from one run to the next); SQL keeps every message."""
    memory = build_memory(settings, open_store(settings), embedder=embedder)
    try:
        memory.indexer.ensure_index()
    except IndexMismatch:
        notice(
            f"The sandbox index was built with another embedding model; rebuilding it ({embedder.model_id})."
        )
        memory.indexer.rebuild()
        memory.store.clear_index_hashes()
    finally:
        memory.indexer.close()
        memory.store.engine.dispose()


def interact(session: Session, screen: Screen, history: Path) -> None:
    """Read lines from the terminal (readline editing and history when available) until :quit or EOF."""
    readline: Any = None
    if sys.stdin.isatty():
        try:
            import readline
        except ImportError:  # Windows without pyreadline
            readline = None
    if readline is not None and history.exists():
        readline.read_history_file(str(history))
    screen.line("Type a message to post it, @kiok to ask Kiok, :help for console commands, :quit to leave.")
    try:
        while True:
            try:
                line = input(session.prompt())
            except EOFError:
                screen.line("")
                break
            except KeyboardInterrupt:
                screen.line("^C (:quit or Ctrl-D leaves)")
                continue
            try:
                if not session.run_line(line):
                    break
            except KeyboardInterrupt:
                screen.close_line()
                screen.line("(stopped waiting; press Enter later to see what Kiok posts)")
    finally:
        if readline is not None:
            readline.write_history_file(str(history))


__all__ = ["Sandbox", "SandboxError", "SandboxOptions", "prepare_dir", "sandbox_dir", "wipe"]
