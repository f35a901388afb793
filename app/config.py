"""Slack-side settings (nested in Settings as `slack`)."""

import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

BOT_TOKEN_HELP = (
    "KIOK_SLACK__BOT_TOKEN: the Bot User OAuth Token (starts with xoxb-). Find it at "
    "https://api.slack.com/apps → your app → OAuth & Permissions, after installing the app."
)
APP_TOKEN_HELP = (
    "KIOK_SLACK__APP_TOKEN: an app-level token with the connections:write scope (starts with xapp-). "
    "Create it at https://api.slack.com/apps → your app → Basic Information → App-Level Tokens."
)


class SlackSettings(BaseModel):
    """How Kiok connects to Slack."""

    model_config = ConfigDict(hide_input_in_errors=True)  # never echo a token in an error

    bot_token: SecretStr | None = Field(None, description="Bot User OAuth Token, `xoxb-…`.")
    app_token: SecretStr | None = Field(None, description="App-level token for Socket Mode, `xapp-…`.")
    api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (GovSlack, Enterprise, emulator)."
    )
    http_timeout: float = Field(15.0, gt=0, description="Seconds before a Slack Web API call gives up.")
    rate_limit_retries: int = Field(5, ge=0, le=20, description="Retries of a call answered 429.")
    update_interval: float = Field(
        1.2, ge=0.2, description="Minimum seconds between streamed edits of one reply (chat.update)."
    )
    admin_users: list[str] = Field(
        default_factory=list,
        description="Kiok admins by Slack user id (JSON list); empty = Slack workspace admins and owners.",
    )
    socket_ping_interval: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds between Socket Mode health checks; a dead connection is "
        "replaced within about this long.",
    )
    gap_answer_minutes: int = Field(
        10,
        ge=0,
        le=1440,
        description="After a restart or reconnect, answer mentions and DMs found in the missed history "
        "that are younger than this and have no reply from Kiok (minutes; 0 = store them only).",
    )
    gap_check_minutes: int = Field(
        10,
        ge=0,
        le=1440,
        description="Also read missed history this often while connected: Slack drops an event after its "
        "retries fail (minutes; 0 = only after a reconnect).",
    )
    answer_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Answers cut off by a crash mid-generation before the reply says it failed.",
    )
    user_rate_limit_per_minute: int = Field(
        0,
        ge=0,
        le=10000,
        description="Answers (mentions, DMs, /kiok ask) one user may get per minute; 0 = off.",
    )

    @field_validator("bot_token")
    @classmethod
    def _bot_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError(f"does not start with xoxb-. {BOT_TOKEN_HELP}")
        return value

    @field_validator("app_token")
    @classmethod
    def _app_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError(f"does not start with xapp-. {APP_TOKEN_HELP}")
        return value

    @field_validator("admin_users")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        ids = [v.strip() for v in value if v.strip()]
        wrong = [v for v in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", v)]
        if wrong:
            raise ValueError(
                f"{wrong} are not Slack user ids. KIOK_SLACK__ADMIN_USERS takes ids such as "
                '["U012AB3CD"] (Slack: a profile → ⋮ → Copy member ID), not names.'
            )
        return ids

    @field_validator("bot_token", "app_token", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def missing(self) -> list[str]:
        """Fix-it lines for every token `kiok run` needs but does not have."""
        problems = []
        if self.bot_token is None:
            problems.append(f"missing {BOT_TOKEN_HELP}")
        if self.app_token is None:
            problems.append(f"missing {APP_TOKEN_HELP}")
        return problems


__all__ = ["APP_TOKEN_HELP", "BOT_TOKEN_HELP", "SlackSettings"]
