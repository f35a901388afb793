"""Slack-side settings (nested in Settings as `slack`)."""

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
