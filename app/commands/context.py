"""Who ran a command, where, in which language, and the Slack look-ups every handler needs."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.access import AdminPolicy
from app.i18n import language_of_locale, t
from app.services import Services
from app.slack_data import UserDirectory
from app.slack_text import to_plain_text
from memory.records import UserRecord
from summarizer.language import Language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """What Slack tells Kiok about one use of a command, shortcut or button."""

    team_id: str
    channel_id: str
    user_id: str
    text: str = ""

    @classmethod
    def from_command(cls, command: dict[str, Any]) -> "Invocation":
        return cls(
            team_id=str(command.get("team_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            user_id=str(command.get("user_id") or ""),
            text=str(command.get("text") or ""),
        )

    @classmethod
    def from_interaction(cls, body: dict[str, Any]) -> "Invocation":
        """From a `block_actions` or `message_action` payload."""
        channel = body.get("channel") or {}
        container = body.get("container") or {}
        return cls(
            team_id=str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""),
            channel_id=str(channel.get("id") or container.get("channel_id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
        )


@dataclass
class CommandContext:
    """One command's view of Kiok: the services, a Slack client and the person, with cached look-ups."""

    services: Services
    client: WebClient
    invocation: Invocation
    _asker: UserRecord | None = field(default=None, repr=False)
    _permalinks: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)

    @property
    def team_id(self) -> str:
        return self.invocation.team_id

    @property
    def channel_id(self) -> str:
        return self.invocation.channel_id

    @property
    def user_id(self) -> str:
        return self.invocation.user_id

    @property
    def users(self) -> UserDirectory:
        return UserDirectory(self.services.memory.directory, self.team_id)

    @property
    def asker(self) -> UserRecord:
        if self._asker is None:
            self._asker = self.users.get(self.client, self.user_id)
        return self._asker

    @property
    def language(self) -> Language:
        """The asker's Slack language (users.info locale, cached a day in SQL)."""
        return language_of_locale(self.asker.locale)

    @property
    def tz_name(self) -> str:
        """The asker's time zone name, else the one summaries use, else UTC."""
        for name in (self.asker.tz, self.services.settings.summary.timezone):
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
        return "UTC"

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.tz_name)

    def now(self) -> datetime:
        """Kiok's clock (the sandbox's emulated one when it runs there)."""
        return self.services.clock()

    def label(self, user_id: str) -> str:
        return self.users.get(self.client, user_id).label if user_id else ""

    def plain(self, text: str) -> str:
        """Slack markup made readable (`<@U1>` -> `@Alice`) with secrets redacted, as memory stores text."""
        return self.services.memory.redactor.redact(to_plain_text(text, self.label)).text

    @property
    def admins(self) -> AdminPolicy:
        return AdminPolicy.from_settings(self.services.settings.slack)

    def is_admin(self, user_id: str | None = None) -> bool:
        """Whether the person is a Kiok admin (app/access.py; asked fresh: rights change)."""
        return self.admins.is_admin(self.client, user_id or self.user_id)

    def denied(self, key: str, *, one: bool = False) -> str:
        """A refusal string naming who may do it instead (workspace admins, or Kiok's listed admins)."""
        return t(key, self.language, who=self.admins.who(self.language, one=one))

    def permalink(self, channel: str, ts: str) -> str | None:
        """The message's permalink, or None when Slack has none (deleted, no access)."""
        key = (channel, ts)
        if key not in self._permalinks:
            try:
                found = self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
                self._permalinks[key] = str(found)
            except SlackApiError as exc:
                log.info("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
                self._permalinks[key] = None
        return self._permalinks[key]


__all__ = ["CommandContext", "Invocation"]
