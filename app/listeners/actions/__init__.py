"""Block Kit action listeners (buttons in messages and App Home)."""

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from app.access import AdminPolicy
from app.blocks.home import HOME_ACTIONS
from app.digests import HomeTab, digests_of
from app.services import Services

HOME_ACTION_PATTERN = re.compile("^(" + "|".join(re.escape(a) for a in HOME_ACTIONS) + ")$")


def register(app: App, services: Services) -> None:
    digests = digests_of(services)
    if digests is not None:
        _register_home(
            app, HomeTab(digests, services.memory, AdminPolicy.from_settings(services.settings.slack))
        )


def _register_home(app: App, home: HomeTab) -> None:
    @app.action(HOME_ACTION_PATTERN)
    def on_home_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        team_id = context.team_id or (body.get("team") or {}).get("id", "")
        user_id = (body.get("user") or {}).get("id", "")
        home.press(client, team_id, user_id, action["action_id"], action.get("value", ""))


__all__ = ["HOME_ACTION_PATTERN", "register"]
