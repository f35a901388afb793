"""`/kiok`: not built yet (placeholder so registration is wired)."""

from slack_bolt import App

from app.services import Services

COMMANDS: tuple[str, ...] = ()


def register(app: App, services: Services) -> None:
    """Registers nothing yet."""
