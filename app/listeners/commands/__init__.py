"""Slash command listeners."""

from slack_bolt import App

from app.listeners.commands import kiok
from app.services import Services

SLASH_COMMANDS: tuple[str, ...] = kiok.COMMANDS


def register(app: App, services: Services) -> None:
    kiok.register(app, services)


__all__ = ["SLASH_COMMANDS", "register"]
