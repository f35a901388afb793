"""Wires the delivery guarantees into a running Bot: live marks from handled events, recovery of what a
dead process left (before connecting), and a gap read after start-up and every Socket Mode (re)connect."""

import logging
import threading
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from app.gap import GapFiller, LiveMarks
from app.recovery import INBOX_KINDS, JournaledAnswerer, Recovery
from app.services import Services
from memory.sync_state import SyncStore

log = logging.getLogger(__name__)


class DeliveryGuard:
    """Create before the Bolt app (its `on_event` goes to `build_app`), `bind` after, `start` before
    connecting the Socket Mode handler, `stop` after closing it."""

    def __init__(self, services: Services, client: WebClient) -> None:
        answerer = services.mentions
        if not isinstance(answerer, JournaledAnswerer):
            raise TypeError("the delivery guard needs the JournaledAnswerer of build_services")
        self._services, self._client, self.answerer = services, client, answerer
        sync = SyncStore(services.store.engine)
        self.marks = LiveMarks(sync)
        self.gap = GapFiller(
            client=client,
            memory=services.memory,
            answerer=answerer,
            marks=self.marks,
            sync=sync,
            settings=services.settings.slack,
        )
        self.recovery: Recovery | None = None
        self._stopped = threading.Event()

    def _check_every(self, seconds: float) -> None:
        """Read gaps now and then even while connected: an event whose deliveries all failed is gone."""
        while not self._stopped.wait(seconds):
            self.gap.request()

    def on_event(self, team_id: str, event: dict[str, Any]) -> None:
        """A listener handled `event`: Kiok was receiving this conversation's events up to its time."""
        channel, ts = event.get("channel"), event.get("event_ts") or event.get("ts")
        if event.get("type") in INBOX_KINDS and isinstance(channel, str) and ts:
            self.marks.seen(team_id, channel, str(ts))

    def bind(self, app: App, socket_client: Any) -> None:
        """Take note of unfinished work (nothing new is received yet) and read gaps after each `hello`."""
        self.recovery = Recovery(
            app=app,
            client=self._client,
            answerer=self.answerer,
            journal=self.answerer.journal,
            attempts=self._services.settings.slack.answer_attempts,
        )
        self.recovery.take()
        socket_client.message_listeners.append(self._on_socket_message)

    def start(self) -> None:
        self.marks.start()
        if self.recovery is not None:
            self.recovery.start()
        minutes = self._services.settings.slack.gap_check_minutes
        if minutes:
            threading.Thread(
                target=self._check_every, args=(minutes * 60.0,), name="kiok-gap-check", daemon=True
            ).start()

    def stop(self) -> None:
        self._stopped.set()
        self.gap.stop()
        try:
            self.marks.stop()
        except Exception:
            log.warning("could not save the live marks; the next start reads a longer gap", exc_info=True)

    def _on_socket_message(self, _client: Any, message: dict[str, Any], _raw: str | None) -> None:
        if message.get("type") == "hello":
            self.gap.request()


__all__ = ["DeliveryGuard"]
