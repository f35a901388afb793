"""Message shortcut "Remember this": the message becomes a fact of its channel (confirmed privately)."""

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from app.commands import CommandContext, Invocation, run_safely
from app.commands.facts import remember_message
from app.services import Services

CALLBACK_ID = "kiok_remember"


def register(app: App, services: Services) -> None:
    @app.shortcut(CALLBACK_ID)
    def on_remember(ack: Ack, respond: Respond, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        ctx = CommandContext(services, client, Invocation.from_interaction(shortcut))
        respond(run_safely(ctx, lambda: remember_message(ctx, shortcut.get("message") or {})))
