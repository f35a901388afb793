"""Store every message the bot sees: new, edited (`message_changed`) and deleted (`message_deleted`)."""

import re
from typing import Any

from app.slack_data import message_record, slack_ts
from memory.service import MemoryService

CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{1,31}")  # ids are VARCHAR(32) in SQL


class MessageIngestor:
    """Translates `message` events into memory writes. Idempotent: Slack retries change nothing."""

    def __init__(self, memory: MemoryService) -> None:
        self._memory = memory

    def handle(self, team_id: str, event: dict[str, Any]) -> None:
        channel = event.get("channel")
        if not isinstance(channel, str) or not CHANNEL_ID.fullmatch(channel):
            return  # malformed (or not a message event): nothing to store
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            previous = event.get("previous_message")
            deleted = slack_ts(event.get("deleted_ts")) or (
                slack_ts(previous.get("ts")) if isinstance(previous, dict) else None
            )
            if deleted:
                self._memory.delete_message(team_id, channel, deleted)
            return
        msg = event.get("message") if subtype == "message_changed" else event
        if not isinstance(msg, dict) or not msg:
            return
        record = message_record(team_id, channel, msg)
        if record is not None:
            self._memory.ingest([record])
