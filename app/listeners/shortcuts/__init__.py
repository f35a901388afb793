"""Message shortcuts (callback ids listed in SHORTCUTS; the manifest must declare the same)."""

from slack_bolt import App

from app.services import Services

SHORTCUTS: tuple[str, ...] = ()


def register(app: App, services: Services) -> None:
    """Registers nothing yet."""
