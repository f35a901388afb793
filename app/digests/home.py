"""A user's App Home: what to show (only channels the user is a member of) and what its buttons do.
As with `/kiok digest`, anyone may post a digest now; only Kiok admins may change schedules."""

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.access import AdminPolicy
from app.blocks.home import (
    ACTION_DIGEST_DAILY,
    ACTION_DIGEST_NOW,
    ACTION_DIGEST_OFF,
    ACTION_OPT_IN,
    ACTION_OPT_OUT,
    DAILY_TIME,
    HomeChannel,
    HomeModel,
    home_view,
)
from app.digests.periods import InvalidSchedule, zone
from app.digests.service import DigestFailed, DigestService
from app.i18n import language_of_locale, t
from app.slack_data import UserDirectory
from memory.records import UserRecord
from memory.service import MemoryService

log = logging.getLogger(__name__)

CHANNELS_CHECKED = 40  # most recently active channels whose membership is checked per Home open
CHANNELS_SHOWN = 20
CHANNEL_ACTIONS = (ACTION_DIGEST_NOW, ACTION_DIGEST_DAILY, ACTION_DIGEST_OFF)

Notice = tuple[str, dict[str, object]]  # a string key and its values


class HomeTab:
    """Builds and publishes App Home views and carries out their buttons for one DigestService."""

    def __init__(
        self, digests: DigestService, memory: MemoryService, admins: AdminPolicy | None = None
    ) -> None:
        self._digests, self._memory = digests, memory
        self._admins = admins or AdminPolicy()

    # --- reading -----------------------------------------------------------------------------------

    def user(self, client: WebClient, team_id: str, user_id: str) -> UserRecord:
        return UserDirectory(self._memory.directory, team_id).get(client, user_id)

    def is_member(self, client: WebClient, channel_id: str, user_id: str) -> bool:
        """Whether `user_id` is in the channel, asked of Slack (`conversations.members`). Any error —
        a private channel the bot cannot see included — counts as "no"."""
        cursor: str | None = None
        while True:
            try:
                resp = client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            except SlackApiError as exc:
                log.info("conversations.members %s: %s", channel_id, exc.response.get("error"))
                return False
            if user_id in (resp.get("members") or []):
                return True
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False

    def is_admin(self, client: WebClient, user_id: str) -> bool:
        """Whether the person is a Kiok admin (app/access.py; asked fresh: rights change)."""
        return self._admins.is_admin(client, user_id)

    def model(self, client: WebClient, team_id: str, user_id: str, notice: Notice | None = None) -> HomeModel:
        user = self.user(client, team_id, user_id)
        lang = language_of_locale(user.locale)
        candidates = [
            channel
            for _team, channel in self._digests.store.channels_with_messages(team_id)
            if channel[:1] in ("C", "G")
        ][:CHANNELS_CHECKED]
        mine = [c for c in candidates if self.is_member(client, c, user_id)]
        return HomeModel(
            language=lang,
            opted_out=user_id in self._memory.policies.opted_out(team_id),
            channels=tuple(self._channel(team_id, c) for c in mine[:CHANNELS_SHOWN]),
            more_channels=max(0, len(mine) - CHANNELS_SHOWN),
            notice=t(notice[0], lang, who=self._admins.who(lang), **notice[1]) if notice else None,
            can_schedule=self.is_admin(client, user_id),
        )

    def _channel(self, team_id: str, channel_id: str) -> HomeChannel:
        status = self._digests.status(team_id, channel_id)
        decisions = self._digests.summaries.items(team_id, channel_id, kinds=["decision"], live_only=True)
        return HomeChannel(
            channel_id=channel_id,
            schedule=status.schedule if status.schedule and status.schedule.enabled else None,
            last_digest=float(status.last_post.until_ts) if status.last_post else None,
            decisions=tuple(d.text for d in reversed(decisions[-3:])),
        )

    def publish(self, client: WebClient, team_id: str, user_id: str, notice: Notice | None = None) -> None:
        client.views_publish(user_id=user_id, view=home_view(self.model(client, team_id, user_id, notice)))

    # --- buttons -----------------------------------------------------------------------------------

    def press(self, client: WebClient, team_id: str, user_id: str, action_id: str, value: str) -> None:
        """Carry out a Home button, then publish the Home again with the outcome as a notice."""
        notice = self._do(client, team_id, user_id, action_id, value)
        self.publish(client, team_id, user_id, notice)

    def _do(
        self, client: WebClient, team_id: str, user_id: str, action_id: str, channel_id: str
    ) -> Notice | None:
        if action_id == ACTION_OPT_OUT:
            erased = self._memory.opt_out(team_id, user_id).messages
            return "home_notice_opted_out", {"count": erased}
        if action_id == ACTION_OPT_IN:
            self._memory.opt_in(team_id, user_id)
            return "home_notice_opted_in", {}
        if action_id not in CHANNEL_ACTIONS:
            return None  # refresh
        if not channel_id or not self.is_member(client, channel_id, user_id):
            return "home_notice_not_member", {}
        channel = f"<#{channel_id}>"
        if action_id in (ACTION_DIGEST_OFF, ACTION_DIGEST_DAILY) and not self.is_admin(client, user_id):
            return "home_notice_admin_only", {}
        if action_id == ACTION_DIGEST_OFF:
            self._digests.disable(team_id, channel_id)
            return "home_notice_unscheduled", {"channel": channel}
        if action_id == ACTION_DIGEST_DAILY:
            tz = self.user(client, team_id, user_id).tz
            schedule = self._digests.set_schedule(
                team_id, channel_id, "daily", None, DAILY_TIME, _known_zone(tz), user_id
            )
            return "home_notice_scheduled", {"channel": channel, "time": DAILY_TIME, "tz": schedule.timezone}
        try:
            posted = self._digests.post_now(client, team_id, channel_id)
        except DigestFailed as exc:
            return "home_notice_failed", {"channel": channel, "error": exc.error}
        return ("home_notice_posted" if posted else "home_notice_skipped"), {"channel": channel}


def _known_zone(tz: str) -> str:
    """The user's Slack time zone when Python knows it, else "" (the default zone)."""
    try:
        zone(tz)
    except InvalidSchedule:
        return ""
    return tz


__all__ = ["HomeTab"]
