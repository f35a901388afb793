"""`message` (channels, groups, DMs): store what the bot sees, including edits and deletions."""

from typing import Any

from slack_bolt import App, BoltContext

from app.services import Services

# Manifest names of the subscriptions that deliver `message` events, one per conversation type.
EVENTS = ("message.channels", "message.groups", "message.im", "message.mpim")


def register(app: App, services: Services) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], context: BoltContext) -> None:
        services.ingest.handle(context.team_id or "", event)
