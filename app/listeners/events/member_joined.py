"""`member_joined_channel`: when Kiok itself joins a channel, read its recent history into memory."""

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.backfill import backfill_channel
from app.services import Services
from memory.sync_state import SyncStore

EVENTS = ("member_joined_channel",)


def register(app: App, services: Services) -> None:
    @app.event("member_joined_channel")
    def on_join(
        event: dict[str, Any], context: BoltContext, client: WebClient, logger: logging.Logger
    ) -> None:
        if event.get("user") != context.bot_user_id:
            return
        try:
            backfill_channel(
                client,
                services.memory,
                SyncStore(services.store.engine),
                team_id=context.team_id or "",
                channel=event["channel"],
                days=services.settings.memory.backfill_days,
            )
        except SlackApiError as exc:
            logger.warning("backfill of %s failed: %s", event["channel"], exc.response.get("error"))
