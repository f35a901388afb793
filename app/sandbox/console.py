"""The sandbox console: act as workspace people (post, mention, `/kiok`, threads), open App Home, make
time pass. One line at a time, typed or read from a script; each waits until Kiok has finished."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.emulator import ApiError, SlackEmulator
from app.sandbox.feed import Feed
from app.sandbox.helpers import call_with, expand_mentions, find_digest_hook, find_user, parse_duration
from app.sandbox.render import mrkdwn, view_text
from app.sandbox.screen import Screen, clock_time
from app.sandbox.transcript import Transcript

COMMAND_ACK_SECONDS = 3.0  # Slack shows "operation_timeout" when a slash command is not acked in 3 s
COMMAND_OUTPUT_SECONDS = 10.0
HOME_SECONDS = 3.0
SUMMARY_CHARS = 100
_EMOJI_FIRST = re.compile(r"^:[a-z0-9_+\-]+:")

HELP = """\
  text                 post in the current channel (or thread); @kiok asks Kiok, @name mentions people
  /kiok …              run the slash command
  :reply <n|ts> text   reply in the thread of message [n] (or of a ts)
  :thread <n|ts>       post into that thread from now on (:thread alone leaves it)
  :channel <name>      switch channel (a new name creates it); :channels lists them
  :user <name>         act as someone else (a new name adds them); :users lists people
  :threads             threads of this channel; :history [n] its last n messages
  :home                open Kiok's App Home
  :digest              send digests now
  :wait <3d|5h|30m>    make time pass in the workspace (every later message is that much later)
  :help, :quit         (Enter alone shows anything Kiok posted meanwhile)"""


@dataclass(frozen=True)
class Hooks:
    """What the console needs from the running bot."""

    services: object
    client: object


class Session:
    """Who is typing where, and the command table."""

    def __init__(
        self,
        *,
        emu: SlackEmulator,
        feed: Feed,
        screen: Screen,
        transcript: Transcript,
        hooks: Hooks,
        timeout: float,
        warn: Callable[[str], None],
    ) -> None:
        self.emu, self.feed, self.screen, self.transcript = emu, feed, screen, transcript
        self.hooks, self.timeout, self.warn = hooks, timeout, warn
        directory = emu.workspace.directory
        humans = [u.id for u in directory.users.values() if not u.is_bot]
        self.user_id = humans[0]
        general = directory.find_by_name("general")
        self.channel_id = general.id if general else next(iter(directory.channels))
        self.thread_ts: str | None = None
        self.commands: dict[str, Callable[[str], bool | None]] = {
            "help": self.help,
            "quit": lambda _a: False,
            "exit": lambda _a: False,
            "q": lambda _a: False,
            "reply": self.reply,
            "thread": self.thread,
            "channel": self.channel,
            "channels": self.channels,
            "user": self.user,
            "users": self.users,
            "threads": self.threads,
            "history": self.history,
            "home": self.home,
            "digest": self.digest,
            "wait": self.wait,
        }

    # ------------------------------------------------------------------ reading lines

    def prompt(self) -> str:
        where = self.feed.channel_label(self.channel_id)
        if self.thread_ts:
            where += f" [{self.feed.refs.number(self.channel_id, self.thread_ts)}]"
        return f"{self.feed.name(self.user_id)} {where}> "

    def run_line(self, line: str) -> bool:
        """Do what one console line says; False when it asks to quit."""
        try:
            return self._run(line)
        except ApiError as exc:  # what Slack itself would refuse (archived channel, unknown thread ...)
            self.problem(f"Slack refused that: {exc.error}")
            return True

    def _run(self, line: str) -> bool:
        text = line.strip()
        if not text:
            self.feed.settle(timeout=self.timeout)
            return True
        if text.startswith(":") and not _EMOJI_FIRST.match(text):
            name, _, rest = text[1:].partition(" ")
            command = self.commands.get(name.lower())
            if command is None:
                self.problem(f"unknown console command :{name} (type :help)")
                return True
            return command(rest.strip()) is not False
        if text.startswith("/"):
            command_name, _, rest = text.partition(" ")
            self.slash(command_name, rest.strip())
        else:
            self.post(text, self.thread_ts)
        return True

    def run_script(self, lines: Iterable[str]) -> None:
        for raw in lines:
            line = raw.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            self.screen.line(self.prompt() + line)
            if not self.run_line(line):
                break

    def problem(self, message: str) -> None:
        self.transcript.error("console", message)
        self.warn(f"! {message}")

    # ------------------------------------------------------------------ people act

    def post(self, text: str, thread_ts: str | None) -> None:
        ws = self.emu.workspace
        self._ensure_member()
        body = expand_mentions(text, ws.directory, bot_name=ws.bot.name, bot_user_id=self.emu.bot_user_id)
        ts = self.emu.post_message(self.channel_id, self.user_id, body, thread_ts=thread_ts)
        self.transcript.add(
            "message",
            channel=self.feed.name(self.channel_id),
            channel_id=self.channel_id,
            user=self.feed.name(self.user_id),
            user_id=self.user_id,
            ts=ts,
            thread_ts=thread_ts,
            text=body,
        )
        header = self.feed.header(self.channel_id, ts, thread_ts, self.feed.name(self.user_id))
        self.screen.message(("human", ts), ts, header, mrkdwn(body, self.feed.name))
        if f"<@{self.emu.bot_user_id}>" not in body:
            self._settle()
            return
        root, channel = thread_ts or ts, self.channel_id
        settled = self.feed.settle(
            expect=lambda: self.feed.replies_in(channel, root, after=ts),
            expect_timeout=self.timeout,
            timeout=self.timeout,
        )
        if not settled.expected:
            self.problem(f"Kiok did not answer within {self.timeout:g} s")
        elif settled.timed_out:
            self.problem(f"Kiok was still answering after {self.timeout:g} s")

    def slash(self, command: str, text: str) -> None:
        self._ensure_member()
        response = self.emu.send_slash_command(command, text, user=self.user_id, channel=self.channel_id)
        entry = self.transcript.add(
            "command",
            channel=self.feed.name(self.channel_id),
            channel_id=self.channel_id,
            user=self.feed.name(self.user_id),
            user_id=self.user_id,
            command=command,
            text=text,
            acked=False,
            ack=None,
            result="no answer",
        )
        outputs = len(self.transcript.entries)
        try:
            entry["ack"] = response.wait(COMMAND_ACK_SECONDS)
            entry["acked"] = True
        except TimeoutError:
            self.screen.line(f'{command} failed with the error "operation_timeout" (no answer from Kiok)')
            self._settle()
            return
        self.feed.settle(
            expect=lambda: len(self.transcript.entries) > outputs,
            expect_timeout=0 if entry["ack"] else COMMAND_OUTPUT_SECONDS,
            timeout=self.timeout,
        )
        shown = len(self.transcript.entries) > outputs
        entry["result"] = "answered" if shown else "acked"
        if not shown:
            self.screen.line(f"({command} was acknowledged; Kiok showed nothing)")

    def help(self, _args: str) -> None:
        for line in HELP.splitlines():
            self.screen.line(line)

    def home(self, _args: str) -> None:
        user = self.user_id
        before = self.feed.publishes.get(user, 0)
        event = {"type": "app_home_opened", "user": user, "channel": self.emu.open_dm(user), "tab": "home"}
        self.emu.deliver_event(event)
        self.feed.settle(
            expect=lambda: self.feed.publishes.get(user, 0) > before,
            expect_timeout=HOME_SECONDS,
            timeout=self.timeout,
        )
        view = self.emu.views(user) if self.feed.publishes.get(user, 0) > before else None
        name = self.feed.name(user)
        if view is None:
            self.transcript.add("home", user=name, user_id=user, published=False, view=None)
            self.screen.line(f"Kiok published no App Home for {name} (nothing answers app_home_opened yet).")
            return
        text = view_text(view, self.feed.name)
        self.transcript.add("home", user=name, user_id=user, published=True, view=text, blocks=view["blocks"])
        self.screen.line(f"── App Home of {name} ──\n{text}\n──")

    def digest(self, _args: str) -> None:
        hook = find_digest_hook(self.hooks.services)
        if hook is None:
            self.transcript.add("digest", available=False)
            self.screen.line("digests are not available yet")
            return
        now = datetime.fromtimestamp(self.emu.clock.now(), UTC)
        try:
            result = call_with(hook, {"client": self.hooks.client, "now": now})
        except Exception as exc:
            self.transcript.add("digest", available=True, error=f"{type(exc).__name__}: {exc}")
            self.transcript.error("digest", f"{type(exc).__name__}: {exc}")
            self.screen.line(f"! the digest failed: {type(exc).__name__}: {exc}")
            return
        self.transcript.add("digest", available=True, result=None if result is None else repr(result))
        self._settle()

    def wait(self, args: str) -> None:
        try:
            seconds, shown = parse_duration(args or "1d")
        except ValueError as exc:
            self.problem(str(exc))
            return
        self.emu.advance(seconds)
        now = self.emu.clock.now()
        when = datetime.fromtimestamp(now).strftime("%a %Y-%m-%d %H:%M")
        self.transcript.add("wait", seconds=seconds, now=datetime.fromtimestamp(now, UTC).isoformat())
        self.screen.line(f"⏩ {shown} later: it is now {when} in the workspace")

    # ------------------------------------------------------------------ where and who

    def reply(self, args: str) -> None:
        ref, _, text = args.partition(" ")
        root = self._resolve(ref)
        if root is None:
            return
        if not text.strip():
            self.problem("usage: :reply <n|ts> <text>")
            return
        self.post(text.strip(), root)

    def thread(self, args: str) -> None:
        if not args:
            self.thread_ts = None
            self.screen.line(f"back in {self.feed.channel_label(self.channel_id)}")
            return
        root = self._resolve(args)
        if root is not None:
            self.thread_ts = root
            self._show(self.emu.thread(self.channel_id, root)[-10:])

    def channel(self, args: str) -> None:
        name = args.lstrip("#").strip()
        if not name:
            self.problem("usage: :channel <name>")
            return
        found = self.emu.workspace.directory.find_by_name(name)
        if found is None:
            self.channel_id = self.emu.add_channel(name)
            self.screen.line(f"created #{name} (everyone and kiok are members)")
        else:
            self.channel_id = found.id
        self.thread_ts = None

    def channels(self, _args: str) -> None:
        with self.emu.workspace.lock:
            listed = [
                c for c in self.emu.workspace.directory.channels.values() if c.kind in ("public", "private")
            ]
            for c in listed:
                mark = "*" if c.id == self.channel_id else " "
                private = " (private)" if c.kind == "private" else ""
                count = len(self.emu.messages(c.id))
                self.screen.line(f"{mark} #{c.name}{private}: {count} messages, {len(c.members)} members")

    def user(self, args: str) -> None:
        name = args.lstrip("@").strip()
        if not name:
            self.problem("usage: :user <name>")
            return
        found = find_user(self.emu.workspace.directory, name)
        if found is None:
            found = self.emu.add_user(name=name)
            self.screen.line(f"added {name} to the workspace")
        self.user_id = found

    def users(self, _args: str) -> None:
        for u in list(self.emu.workspace.directory.users.values()):
            mark = "*" if u.id == self.user_id else " "
            self.screen.line(f"{mark} {u.name} ({u.real_name}){' [bot]' if u.is_bot else ''}")

    def threads(self, _args: str) -> None:
        roots = [m for m in self.emu.messages(self.channel_id) if m.get("reply_count")]
        if not roots:
            self.screen.line("no threads here yet")
        self._show(roots[-20:], summary=True)

    def history(self, args: str) -> None:
        count = int(args) if args.isdigit() else 15
        if self.thread_ts:
            self._show(self.emu.thread(self.channel_id, self.thread_ts)[-count:])
        else:
            self._show(self.emu.messages(self.channel_id)[-count:], summary=True)

    # ------------------------------------------------------------------ internals

    def _show(self, messages: list[dict[str, Any]], *, summary: bool = False) -> None:
        for m in messages:
            if m.get("subtype") in ("channel_join", "tombstone"):
                continue
            header = self.feed.header(self.channel_id, m["ts"], m.get("thread_ts"), self.feed.name(m["user"]))
            text = mrkdwn(str(m.get("text") or ""), self.feed.name)
            if summary:
                first = text.splitlines()[0] if text else ""
                text = first if len(first) <= SUMMARY_CHARS else first[: SUMMARY_CHARS - 1] + "…"
            if summary and m.get("reply_count"):
                text += f"  ({m['reply_count']} replies, last {clock_time(m['latest_reply'])})"
            self.screen.message(("history", m["ts"]), m["ts"], header, text)

    def _resolve(self, ref: str) -> str | None:
        """The thread root that `ref` (a message number or a ts in this channel) belongs to."""
        channel, ts = self.channel_id, ref
        if ref.isdigit():
            found = self.feed.refs.lookup(int(ref))
            if found is None:
                self.problem(f"no message [{ref}] (numbers are shown in brackets)")
                return None
            channel, ts = found
        try:
            root = str(self.emu.thread(channel, ts)[0]["ts"])
        except ApiError:
            self.problem(f"no message {ref} in {self.feed.channel_label(channel)}")
            return None
        if channel != self.channel_id:
            self.channel_id = channel
            self.screen.line(f"(now in {self.feed.channel_label(channel)})")
        return root

    def _ensure_member(self) -> None:
        channel = self.emu.workspace.channel(self.channel_id)
        if self.user_id not in channel.members:
            self.emu.join(self.channel_id, self.user_id)
            self.screen.line(f"({self.feed.name(self.user_id)} joined #{channel.name})")

    def _settle(self) -> None:
        if self.feed.settle(timeout=self.timeout).timed_out:
            self.problem(f"Kiok was still busy after {self.timeout:g} s")


__all__ = ["HELP", "Hooks", "Session"]
