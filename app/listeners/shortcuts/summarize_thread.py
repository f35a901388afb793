"""Message shortcut "Summarize thread": a summary of the message's thread, now, shown only to the asker."""

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from app.blocks.commands import notice
from app.commands import CommandContext, Invocation, run_safely
from app.commands.dispatch import safe_language
from app.commands.thread_summary import summarize_thread
from app.i18n import t
from app.services import Services

CALLBACK_ID = "kiok_summarize_thread"


def register(app: App, services: Services) -> None:
    @app.shortcut(CALLBACK_ID)
    def on_summarize(ack: Ack, respond: Respond, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        ctx = CommandContext(services, client, Invocation.from_interaction(shortcut))
        respond(notice(t("cmd_summarizing", safe_language(ctx))))
        respond(run_safely(ctx, lambda: summarize_thread(ctx, shortcut.get("message") or {})))
