"""Watch what Kiok does in the emulated workspace (messages, streamed edits, ephemerals, views) and show it
as Slack would; wait until a reply is finished."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.emulator import SlackEmulator
from app.emulator.methods_chat import permalink
from app.reply import CURSOR
from app.sandbox.render import message_text, view_text
from app.sandbox.screen import INDENT, Refs, Screen, clock_time
from app.sandbox.transcript import Transcript, is_error_reply
from app.strings.answers import STRINGS

_STAGES = ("working", "recalling", "thinking", "queued")

POLL_SECONDS = 0.05
QUIET_SECONDS = 0.5


# Every stage the "working…" placeholder shows ("⏳ Reading the thread…", "🔍 Looking through…", the queue
# position), taken from the strings table so a new stage cannot be mistaken for a finished reply.
_STAGE_PREFIXES = tuple(
    {text.split(" ", 1)[0] for key in _STAGES for text in STRINGS[key].values()} | {":hourglass"}
)


def in_progress(text: str) -> bool:
    """A stage placeholder or a reply still streaming (ends with the cursor)."""
    return text.startswith(_STAGE_PREFIXES) or text.endswith(CURSOR.strip())


@dataclass
class BotMessage:
    """One message Kiok posted, as it stands now; `entry` is its transcript entry."""

    channel_id: str
    ts: str
    thread_ts: str | None
    entry: dict[str, Any]
    checked: bool = False

    @property
    def done(self) -> bool:
        return bool(self.entry.get("deleted")) or not in_progress(str(self.entry["text"]))


@dataclass(frozen=True)
class Settled:
    expected: bool  # what the action waited for happened (a reply, an ack, a view)
    timed_out: bool  # Kiok was still busy when the time ran out


class Feed:
    """Polls the emulator's record of Web API calls, ephemerals and response-URL posts."""

    def __init__(self, emu: SlackEmulator, screen: Screen, transcript: Transcript, refs: Refs) -> None:
        self.emu, self.screen, self.transcript, self.refs = emu, screen, transcript, refs
        self.messages: dict[tuple[str, str], BotMessage] = {}
        self.publishes: dict[str, int] = {}
        self.last_activity = time.monotonic()
        self._started = emu.clock.now()
        self._calls = self._ephemerals = self._responses = 0

    # ------------------------------------------------------------------ names

    def name(self, ref: str) -> str:
        """A user's handle or a channel's name, for rendering `<@U…>` and `<#C…>`."""
        directory = self.emu.workspace.directory
        with self.emu.workspace.lock:
            if ref in directory.users:
                return directory.users[ref].name
            if ref in directory.channels:
                return directory.channels[ref].name
        return ref

    def channel_label(self, channel_id: str) -> str:
        label = self.name(channel_id)
        return label if label.startswith("#") else f"#{label}"

    def header(self, channel_id: str, ts: str, thread_ts: str | None, author: str) -> str:
        root = thread_ts or ts
        arrow = " ↳" if thread_ts and thread_ts != ts else ""
        number = self.refs.number(channel_id, root)
        return f"{self.channel_label(channel_id)} [{number}]{arrow} {clock_time(ts)} {author}: "

    # ------------------------------------------------------------------ polling

    def poll(self) -> None:
        calls = self.emu.calls()
        for call in calls[self._calls :]:
            self.last_activity = time.monotonic()
            if call.response.get("ok"):
                self._on_call(call.method, call.args, call.response)
        self._calls = len(calls)
        ephemerals = self.emu.ephemerals()
        for record in ephemerals[self._ephemerals :]:
            self.last_activity = time.monotonic()
            self._on_ephemeral(record)
        self._ephemerals = len(ephemerals)
        responses = self.emu.responses()
        for response in responses[self._responses :]:
            self.last_activity = time.monotonic()
            body = response.get("body") or {}
            if body.get("response_type") == "in_channel" and not body.get("replace_original"):
                self._adopt(response["channel"], body.get("thread_ts"))
        self._responses = len(responses)

    def _on_call(self, method: str, args: dict[str, Any], response: dict[str, Any]) -> None:
        if method == "chat.postMessage":
            self._posted(response["channel"], response["message"])
        elif method == "chat.update":
            self._edited(response["channel"], response["message"])
        elif method == "chat.delete":
            found = self.messages.get((response["channel"], response["ts"]))
            if found is not None:
                found.entry["deleted"] = True
                self.screen.line(
                    f"(kiok deleted its message [{self.refs.number(found.channel_id, found.ts)}])"
                )
        elif method == "views.publish":
            user = str(args.get("user_id", ""))
            self.publishes[user] = self.publishes.get(user, 0) + 1
        elif method in ("views.open", "views.push", "views.update"):
            view = response.get("view") or {}
            text = view_text(view, self.name)
            self.screen.line(f"[kiok opened a dialog]\n{text}")
            self.transcript.add("modal", method=method, view=text)

    def _posted(self, channel_id: str, message: dict[str, Any]) -> None:
        key = (channel_id, str(message["ts"]))
        if key in self.messages:
            return
        thread_ts = message.get("thread_ts")
        shown = message_text(message, self.name)
        entry = self.transcript.add(
            "reply",
            channel=self.name(channel_id),
            channel_id=channel_id,
            user="kiok",
            user_id=self.emu.bot_user_id,
            ts=key[1],
            thread_ts=thread_ts,
            text=str(message.get("text") or ""),
            shown=shown,
            edits=0,
            permalink=permalink(self.emu.identity.team_domain, channel_id, key[1], thread_ts),
        )
        if message.get("blocks"):
            entry["blocks"] = message["blocks"]
        bot = BotMessage(channel_id, key[1], thread_ts, entry)
        self.messages[key] = bot
        header = self.header(channel_id, key[1], thread_ts, "kiok")
        self.screen.message(key, key[1], header, _visible(shown), live=not bot.done)

    def _edited(self, channel_id: str, message: dict[str, Any]) -> None:
        key = (channel_id, str(message["ts"]))
        if key not in self.messages:
            self._posted(channel_id, message)
            return
        bot = self.messages[key]
        bot.entry.update(text=str(message.get("text") or ""), shown=message_text(message, self.name))
        bot.entry["edits"] += 1
        bot.checked = False
        if message.get("blocks"):
            bot.entry["blocks"] = message["blocks"]
        header = self.header(channel_id, bot.ts, bot.thread_ts, "kiok")
        self.screen.update(key, bot.ts, header, _visible(bot.entry["shown"]), live=not bot.done)

    def _adopt(self, channel_id: str, thread_ts: str | None) -> None:
        """Track bot messages posted through a response URL (they make no Web API call)."""
        found = self.emu.thread(channel_id, thread_ts) if thread_ts else self.emu.messages(channel_id)
        for message in found:
            if message.get("user") == self.emu.bot_user_id and float(message["ts"]) >= self._started:
                self._posted(channel_id, message)

    def _on_ephemeral(self, record: dict[str, Any]) -> None:
        shown = message_text(record, self.name)
        self.transcript.add(
            "ephemeral",
            channel=self.name(record["channel"]),
            channel_id=record["channel"],
            user=self.name(record["user"]),
            user_id=record["user"],
            ts=record["ts"],
            thread_ts=record.get("thread_ts"),
            text=record.get("text", ""),
            shown=shown,
            source=record.get("source", ""),
        )
        label = f"{self.channel_label(record['channel'])} (only visible to {self.name(record['user'])}) "
        self.screen.message(("ephemeral", record["ts"]), record["ts"], f"{label}kiok: ", shown)

    # ------------------------------------------------------------------ waiting

    def replies_in(self, channel_id: str, root_ts: str, *, after: str) -> list[BotMessage]:
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and (m.thread_ts or m.ts) == root_ts and float(m.ts) > float(after)
        ]

    def busy(self) -> list[BotMessage]:
        return [m for m in self.messages.values() if not m.done]

    def settle(
        self,
        *,
        expect: Callable[[], object] | None = None,
        expect_timeout: float = 0.0,
        timeout: float = 180.0,
        quiet: float = QUIET_SECONDS,
    ) -> Settled:
        """Show Kiok's activity until `expect()` holds (or `expect_timeout` passes), nothing is streaming,
        and Kiok has been quiet for `quiet` seconds; give up after `timeout`."""
        start = time.monotonic()
        self.last_activity = max(self.last_activity, start)
        met = expect is None
        timed_out = False
        while True:
            self.poll()
            now = time.monotonic()
            met = met or bool(expect and expect())
            waiting = not met and now - start < expect_timeout
            if not (waiting or self.busy() or now - self.last_activity < quiet):
                break
            if now - start >= timeout:
                timed_out = True
                break
            time.sleep(POLL_SECONDS)
        self.screen.close_line()
        self.finish()
        return Settled(expected=met, timed_out=timed_out)

    def finish(self) -> None:
        """Check every reply that finished since the last call: failure notices count as errors."""
        for bot in self.messages.values():
            if bot.checked or not bot.done:
                continue
            bot.checked = True
            text = str(bot.entry["text"])
            if is_error_reply(text):
                self.transcript.error("reply", text, channel=bot.entry["channel"], ts=bot.ts)
            if not bot.entry.get("deleted") and bot.entry["edits"]:
                self.screen.line(f"{INDENT}🔗 {bot.entry['permalink']}")


def _visible(text: str) -> str:
    """The text without the streaming cursor and trailing blanks (so later text can extend it)."""
    return text.removesuffix(CURSOR).removesuffix(CURSOR.strip()).rstrip()


__all__ = ["BotMessage", "Feed", "Settled", "in_progress"]
