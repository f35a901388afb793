"""Block Kit action listeners (buttons in messages and App Home)."""

from slack_bolt import App

from app.services import Services


def register(app: App, services: Services) -> None:
    """Registers nothing yet."""
