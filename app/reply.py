"""A bot reply in a thread: a placeholder edited in place while the answer streams in."""

import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient

from app.slack_text import MESSAGE_TEXT_LIMIT, split_message

CURSOR = " ▍"


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
    ) -> None:
        self._client, self._channel, self._thread_ts = client, channel, thread_ts
        self._interval, self._clock = interval, clock
        self._last_edit = float("-inf")
        self._shown = ""
        self.ts: str | None = None
        self.edits = 0
        self.streamed = ""  # what the model produced so far, kept when the stream fails midway

    def start(self, text: str) -> str:
        """Post the placeholder; returns its ts."""
        resp = self._client.chat_postMessage(channel=self._channel, thread_ts=self._thread_ts, text=text)
        self.ts = str(resp["ts"])
        self._shown = text
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
        for delta in deltas:
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
        return posted

    def _edit(self, text: str) -> None:
        if self.ts is None:
            raise RuntimeError("ThreadReply.start() must be called before editing")
        self._client.chat_update(channel=self._channel, ts=self.ts, text=text)
        self._shown, self._last_edit = text, self._clock()
        self.edits += 1


__all__ = ["ThreadReply"]
