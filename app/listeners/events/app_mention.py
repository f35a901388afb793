"""`app_mention`: answer in the thread. Bolt has already acked; the slow work runs here."""

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from app.answers import Mention
from app.services import Services

EVENTS = ("app_mention",)


def register(app: App, services: Services) -> None:
    @app.event("app_mention")
    def on_mention(
        event: dict[str, Any], context: BoltContext, client: WebClient, logger: logging.Logger
    ) -> None:
        services.ingest.handle(context.team_id or "", event)
        if not all(isinstance(event.get(k), str) and event.get(k) for k in ("channel", "ts")):
            logger.warning("ignoring an app_mention without a channel or ts: %r", str(event)[:200])
            return
        mention = Mention.from_event(
            event, team_id=context.team_id or "", bot_user_id=context.bot_user_id or ""
        )
        services.mentions.answer(client, mention)
