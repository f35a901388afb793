"""`/kiok`: every subcommand (see app/commands), and the Erase / Cancel buttons of its confirmations."""

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from app.blocks.commands import CANCEL_ACTION, CONFIRM_ACTION
from app.commands import CommandContext, Invocation, answer_command, replace_reply, run_safely
from app.commands.forget import on_button
from app.services import Services

COMMANDS: tuple[str, ...] = ("/kiok",)
BUTTONS = re.compile(f"^({re.escape(CONFIRM_ACTION)}|{re.escape(CANCEL_ACTION)})$")


def register(app: App, services: Services) -> None:
    @app.command("/kiok")
    def on_kiok(ack: Ack, respond: Respond, command: dict[str, Any], client: WebClient) -> None:
        ctx = CommandContext(services, client, Invocation.from_command(command))
        answer_command(ctx, ack=ack, respond=respond)

    @app.action(BUTTONS)
    def on_confirmation(
        ack: Ack, respond: Respond, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        ctx = CommandContext(services, client, Invocation.from_interaction(body))
        replace_reply(respond, run_safely(ctx, lambda: on_button(ctx, action)))
