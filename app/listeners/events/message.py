"""`message` (channels, groups, DMs): store what the bot sees, including edits and deletions; answer
direct messages, and follow-ups in threads Kiok answered when the channel enables that."""

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from app.answers import Mention
from app.services import Services

# Manifest names of the subscriptions that deliver `message` events, one per conversation type.
EVENTS = ("message.channels", "message.groups", "message.im", "message.mpim")


def register(app: App, services: Services) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        team_id = context.team_id or ""
        services.ingest.handle(team_id, event)
        bot = context.bot_user_id or ""
        direct = event.get("channel_type") == "im"
        if (
            event.get("subtype")
            or event.get("bot_id")
            or not event.get("user")
            # mentions are answered by the app_mention listener, except in DMs: Slack sends no
            # app_mention there, whether or not the bot is named
            or (not direct and f"<@{bot}>" in str(event.get("text") or ""))
        ):
            return  # edits, joins, bots, and channel mentions
        if direct or services.followups.wants_answer(team_id, event):
            services.mentions.answer(client, Mention.from_event(event, team_id=team_id, bot_user_id=bot))
