"""Helpers of the reliability tests: a workload of people talking and asking, what Kiok answered per
question as Slack shows it, and Kiok in a process of its own that a test can `kill -9` and restart."""

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.emulator import SlackEmulator, events
from app.recovery import is_progress
from memory.db import create_db_engine
from memory.journal import InboxEvent, MentionRow
from memory.models import Message

ROOT = Path(__file__).parent.parent.parent
RUNNER = ROOT / "tests" / "support" / "bot_runner.py"
SOAK = os.environ.get("KIOK_SOAK") == "1"


@dataclass
class Workload:
    """What people said: every human message (channel, ts) and every question (channel, ts)."""

    emu: SlackEmulator
    people: list[str]
    channels: list[str]
    rng: random.Random
    messages: list[tuple[str, str]] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def create(cls, emu: SlackEmulator, *, channels: int, seed: int) -> "Workload":
        people = [emu.add_user(name=n, real_name=n.title()) for n in ("alice", "bob", "carol")]
        names = [emu.add_channel(name=f"team-{i}", members=people) for i in range(channels)]
        return cls(emu=emu, people=people, channels=names, rng=random.Random(seed))

    def say(self, *, deliver: bool = True) -> tuple[str, str]:
        """Someone posts a message, now and then in the thread of an earlier one."""
        channel, user = self.rng.choice(self.channels), self.rng.choice(self.people)
        earlier = [ts for c, ts in self.messages if c == channel]
        thread = self.rng.choice(earlier) if earlier and self.rng.random() < 0.3 else None
        root = self.emu.thread(channel, thread)[0]["ts"] if thread else None
        n = len(self.messages)
        text = f"update {n}: ticket PROJ-{n} moves to {self.rng.choice(['QA', 'review', 'done'])}"
        ts = self.emu.post_message(channel, user, text, thread_ts=root, deliver=deliver)
        self.messages.append((channel, ts))
        return channel, ts

    def ask(self, *, deliver: bool = True) -> tuple[str, str]:
        """Someone mentions Kiok in a new top-level message (so its thread holds only Kiok's answer)."""
        channel, user = self.rng.choice(self.channels), self.rng.choice(self.people)
        text = f"<@{self.emu.bot_user_id}> what is the status of PROJ-{len(self.messages)}?"
        ts = self.emu.post_message(channel, user, text, deliver=deliver)
        self.messages.append((channel, ts))
        self.questions.append((channel, ts))
        return channel, ts


def event_of(emu: SlackEmulator, channel: str, ts: str, kind: str) -> dict[str, Any]:
    """The `message` or `app_mention` event Slack sends for a stored message, as the emulator shapes it."""
    ws = emu.workspace
    with ws.lock:
        conv = ws.channel(channel)
        shaped = ws.store.shape(conv.id, ws.store.raw(conv.id, ts))
    return events.mention_event(conv, shaped) if kind == "app_mention" else events.message_event(conv, shaped)


def replies_to(emu: SlackEmulator, channel: str, ts: str) -> list[dict[str, Any]]:
    """Kiok's messages in the thread of the question (channel, ts), after it."""
    return [
        m for m in emu.thread(channel, ts) if m.get("user") == emu.bot_user_id and float(m["ts"]) > float(ts)
    ]


def answered(emu: SlackEmulator, questions: list[tuple[str, str]]) -> bool:
    """Every question has a reply from Kiok and none of them is a placeholder any more."""
    for channel, ts in questions:
        replies = replies_to(emu, channel, ts)
        if not replies or any(is_progress(r.get("text") or "") for r in replies):
            return False
    return True


def stale_placeholders(emu: SlackEmulator, channels: list[str]) -> list[str]:
    """Kiok's messages anywhere that still say "working…" (or are half streamed)."""
    found = []
    for channel in channels:
        for top in emu.messages(channel):
            for m in emu.thread(channel, top["ts"]) if top.get("reply_count") else [top]:
                if m.get("user") == emu.bot_user_id and is_progress(m.get("text") or ""):
                    found.append(f"{channel}/{m['ts']}: {m.get('text')}")
    return found


def stored(db_url: str, team_id: str) -> set[tuple[str, str]]:
    """(channel, ts) of every live message in Kiok's database."""
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Message.channel_id, Message.ts).where(
                    Message.team_id == team_id, Message.deleted_at.is_(None)
                )
            )
            return {(c, t) for c, t in rows}
    finally:
        engine.dispose()


def journal_states(db_url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Counts by state of the mention journal and of the event inbox."""
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            mentions = conn.execute(select(MentionRow.state, func.count()).group_by(MentionRow.state))
            events = conn.execute(select(InboxEvent.state, func.count()).group_by(InboxEvent.state))
            return {s: int(n) for s, n in mentions}, {s: int(n) for s, n in events}
    finally:
        engine.dispose()


class BotProcess:
    """`tests/support/bot_runner.py` as a child process; its log goes to `log_dir/bot-<n>.log`."""

    def __init__(self, emu: SlackEmulator, *, llm_url: str, data_dir: Path, log_dir: Path, **options: Any):
        self.emu, self.llm_url, self.data_dir, self.log_dir = emu, llm_url, data_dir, log_dir
        self.options = options
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        args = [
            sys.executable,
            str(RUNNER),
            *("--api-url", self.emu.api_url, "--bot-token", self.emu.bot_token),
            *("--app-token", self.emu.app_token, "--llm-url", self.llm_url, "--data-dir", str(self.data_dir)),
        ]
        for name, value in self.options.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = (self.log_dir / f"bot-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def logs(self) -> Iterator[str]:
        for n in range(1, self.starts + 1):
            yield (self.log_dir / f"bot-{n}.log").read_text(errors="replace")
