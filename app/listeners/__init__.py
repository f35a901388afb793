"""Registers every listener on the Bolt app. Each listener module only translates Slack <-> services."""

from slack_bolt import App

from app.listeners import actions, commands, events, shortcuts
from app.services import Services

# What Kiok subscribes to; deploy/slack-app-manifest.yaml must list the same (a test checks it).
BOT_EVENTS: tuple[str, ...] = events.BOT_EVENTS
SLASH_COMMANDS: tuple[str, ...] = commands.SLASH_COMMANDS
SHORTCUTS: tuple[str, ...] = shortcuts.SHORTCUTS


def register_listeners(app: App, services: Services) -> None:
    events.register(app, services)
    commands.register(app, services)
    shortcuts.register(app, services)
    actions.register(app, services)


__all__ = ["BOT_EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "register_listeners"]
