"""A bot reply in a thread: a placeholder edited in place while the answer streams in."""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.slack_text import MESSAGE_TEXT_LIMIT, split_message

CURSOR = " ▍"


@dataclass(frozen=True)
class ReplyHooks:
    """How the delivery journal follows a reply: the ts to reuse after a restart, and callbacks once the
    placeholder exists, once the model starts answering and once the final text is in place."""

    resume_ts: str | None = None
    on_posted: Callable[[str], None] | None = None
    on_finished: Callable[[], None] | None = None
    on_streaming: Callable[[], None] | None = None  # the model's first piece arrived


class ThreadReply:
    """Posts a placeholder, edits it at most once per `interval` seconds, and finishes it.

    Slack's chat.update is rate limited (about one edit per second per message is safe), so streamed
    text is throttled; answers over one message's limit continue in follow-up messages of the thread.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        channel: str,
        thread_ts: str,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        hooks: "ReplyHooks | None" = None,
    ) -> None:
        self._client, self._channel, self._thread_ts = client, channel, thread_ts
        self._hooks = hooks or ReplyHooks()
        self._interval, self._clock = interval, clock
        self._last_edit = float("-inf")
        self._shown = ""
        self.ts: str | None = None
        self.edits = 0
        self.streamed = ""  # what the model produced so far, kept when the stream fails midway

    def start(self, text: str) -> str:
        """Post the placeholder (or take over `hooks.resume_ts`, Kiok's reply cut off by a restart); returns
        its ts."""
        resume = self._hooks.resume_ts
        if resume is not None:
            try:
                self.ts = resume
                self._edit(text)
            except SlackApiError:  # that reply is gone: post a new one
                self.ts = None
        if self.ts is None:
            resp = self._client.chat_postMessage(channel=self._channel, thread_ts=self._thread_ts, text=text)
            self.ts = str(resp["ts"])
            self._shown = text
        if self._hooks.on_posted is not None:
            self._hooks.on_posted(self.ts)
        return self.ts

    def show(self, text: str, *, force: bool = False) -> None:
        """Replace the placeholder's text, unless an edit happened less than `interval` ago."""
        text = text[:MESSAGE_TEXT_LIMIT]
        if text == self._shown or (not force and self._clock() - self._last_edit < self._interval):
            return
        self._edit(text)

    def stream(self, deltas: Iterable[str]) -> str:
        """Show the answer growing as `deltas` arrive; returns the whole text (not yet finished)."""
        self.streamed = ""
        for n, delta in enumerate(deltas):
            if n == 0 and self._hooks.on_streaming is not None:
                self._hooks.on_streaming()
            self.streamed += delta
            if self.streamed.strip():
                self.show(self.streamed[: MESSAGE_TEXT_LIMIT - len(CURSOR)] + CURSOR)
        return self.streamed

    def finish(self, text: str) -> list[str]:
        """Put the final text in place: the first chunk replaces the placeholder, the rest follow it."""
        chunks = split_message(text)
        self._edit(chunks[0])
        posted = [self.ts or ""]
        for chunk in chunks[1:]:
            resp = self._client.chat_postMessage(channel=self._channel, thread_ts=self._thread_ts, text=chunk)
            posted.append(str(resp["ts"]))
        if self._hooks.on_finished is not None:
            self._hooks.on_finished()
        return posted

    def _edit(self, text: str) -> None:
        if self.ts is None:
            raise RuntimeError("ThreadReply.start() must be called before editing")
        self._client.chat_update(channel=self._channel, ts=self.ts, text=text)
        self._shown, self._last_edit = text, self._clock()
        self.edits += 1


__all__ = ["ReplyHooks", "ThreadReply"]
