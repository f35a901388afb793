"""Who may use Kiok's admin-level actions (erase a channel's memory, change digest schedules).

With `slack.admin_users` empty (the default), Slack decides: workspace admins and owners (`users.info`
`is_admin` / `is_owner` / `is_primary_owner`, asked fresh each time because rights change). With a list,
exactly the people on it are Kiok admins and Slack roles no longer count, so an operator can keep
workspace-wide admins away from memory erasure, or give a team lead the rights without Slack admin.
"""

import logging
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.config import SlackSettings
from app.i18n import t
from summarizer.language import Language

log = logging.getLogger(__name__)

SLACK_ROLES = ("is_admin", "is_owner", "is_primary_owner")


class AdminPolicy:
    """Decides whether a user is a Kiok admin (see the module docstring)."""

    def __init__(self, *, admin_users: Iterable[str] = ()) -> None:
        self.listed = frozenset(u.strip() for u in admin_users if u.strip())

    @classmethod
    def from_settings(cls, settings: SlackSettings) -> "AdminPolicy":
        return cls(admin_users=settings.admin_users)

    def is_admin(self, client: WebClient, user_id: str) -> bool:
        if not user_id:
            return False
        if self.listed:
            return user_id in self.listed
        try:
            info = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return False
        return any(bool(info.get(k)) for k in SLACK_ROLES)

    def who(self, language: Language, *, one: bool = False) -> str:
        """Who the admins are, in words, for refusals: "workspace admins" or "Kiok admins"."""
        key = "access_who_listed" if self.listed else "access_who_slack"
        return t(f"{key}_one" if one else key, language)


__all__ = ["SLACK_ROLES", "AdminPolicy"]
