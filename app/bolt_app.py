"""Build the Bolt app: Web API client with timeouts and 429 retries, dedupe middleware, listeners."""

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from app.listeners import register_listeners
from app.recovery import INBOX_KINDS, REPLAY, install_inbox
from app.services import Services
from app.settings import Settings
from memory.journal import DeliveryJournal

log = logging.getLogger(__name__)


def make_web_client(settings: Settings) -> WebClient:
    """A WebClient that times out, retries dropped connections, and waits out 429 `Retry-After`."""
    token = settings.slack.bot_token.get_secret_value() if settings.slack.bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack.api_url,
        timeout=int(settings.slack.http_timeout),
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=settings.slack.rate_limit_retries),
        ],
    )


def build_app(
    services: Services, client: WebClient, *, on_event: Callable[[str, dict[str, Any]], None] | None = None
) -> App:
    """The Bolt app with every listener registered. Calls `auth.test` (Bolt verifies the token).

    `on_event(team_id, event)` is called once a listener has handled an event (live marks for gap reads)."""
    app = App(client=client, process_before_response=False, logger=logging.getLogger("kiok.bolt"))
    app.middleware(_dedupe(services))
    install_inbox(app, DeliveryJournal(services.store.engine), on_event)
    register_listeners(app, services)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error(
            "unhandled error for %s: %r",
            body.get("event", {}).get("type") or body.get("type"),
            error,
            exc_info=error,
        )

    return app


def _dedupe(services: Services) -> Callable[..., BoltResponse | None]:
    """Ack and drop any Events API delivery whose `event_id` was already handled (Slack retries).

    The claim also puts message and mention events in the delivery inbox, in the same transaction, before
    Bolt acks them: a crash after the ack replays them at the next start (app/recovery.py)."""

    def dedupe_events(
        body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        event_id = body.get("event_id")
        if event_id and not context.get(REPLAY):
            kind = (body.get("event") or {}).get("type", "")
            inbox = json.dumps(body) if kind in INBOX_KINDS else None
            if not services.store.claim_event(event_id, kind, body=inbox):
                log.info("dropping duplicate delivery of %s", event_id)
                return BoltResponse(status=200, body="")
        next()
        return None

    return dedupe_events


__all__ = ["build_app", "make_web_client"]
