"""Events API listeners."""

from slack_bolt import App

from app.listeners.events import app_home, app_mention, member_joined, message
from app.services import Services

BOT_EVENTS: tuple[str, ...] = (*app_mention.EVENTS, *message.EVENTS, *member_joined.EVENTS, *app_home.EVENTS)


def register(app: App, services: Services) -> None:
    app_mention.register(app, services)
    message.register(app, services)
    member_joined.register(app, services)
    app_home.register(app, services)


__all__ = ["BOT_EVENTS", "register"]
