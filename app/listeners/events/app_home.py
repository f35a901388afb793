"""`app_home_opened`: publish the user's App Home (their channels with memory, digests, opt-out)."""

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from app.access import AdminPolicy
from app.digests import HomeTab, digests_of
from app.services import Services

EVENTS = ("app_home_opened",)


def register(app: App, services: Services) -> None:
    digests = digests_of(services)
    if digests is None:
        return  # digests are not part of these services: no App Home
    home = HomeTab(digests, services.memory, AdminPolicy.from_settings(services.settings.slack))

    @app.event("app_home_opened")
    def on_home_opened(
        event: dict[str, Any], context: BoltContext, client: WebClient, logger: logging.Logger
    ) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return  # the Messages tab
        home.publish(client, context.team_id or "", str(event["user"]))
