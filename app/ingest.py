"""Store every message the bot sees: new, edited (`message_changed`) and deleted (`message_deleted`)."""

from typing import Any

from app.slack_data import message_record
from memory.service import MemoryService


class MessageIngestor:
    """Translates `message` events into memory writes. Idempotent: Slack retries change nothing."""

    def __init__(self, memory: MemoryService) -> None:
        self._memory = memory

    def handle(self, team_id: str, event: dict[str, Any]) -> None:
        channel = event.get("channel")
        if not channel:
            return
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            deleted = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
            if deleted:
                self._memory.delete_message(team_id, channel, str(deleted))
            return
        msg = event.get("message") if subtype == "message_changed" else event
        if not msg:
            return
        record = message_record(team_id, channel, msg)
        if record is not None:
            self._memory.ingest([record])
