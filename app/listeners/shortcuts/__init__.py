"""Message shortcuts (callback ids listed in SHORTCUTS; the manifest must declare the same)."""

from slack_bolt import App

from app.listeners.shortcuts import remember_this, summarize_thread
from app.services import Services

SHORTCUTS: tuple[str, ...] = (remember_this.CALLBACK_ID, summarize_thread.CALLBACK_ID)


def register(app: App, services: Services) -> None:
    remember_this.register(app, services)
    summarize_thread.register(app, services)


__all__ = ["SHORTCUTS", "register"]
