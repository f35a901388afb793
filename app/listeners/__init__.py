"""Registers every listener on the Bolt app. Each listener module only translates Slack <-> services."""

from slack_bolt import App

from app.listeners import events
from app.services import Services

# What Kiok subscribes to; deploy/slack-app-manifest.yaml must list the same (a test checks it).
BOT_EVENTS: tuple[str, ...] = events.BOT_EVENTS
SLASH_COMMANDS: tuple[str, ...] = ()


def register_listeners(app: App, services: Services) -> None:
    events.register(app, services)


__all__ = ["BOT_EVENTS", "SLASH_COMMANDS", "register_listeners"]
