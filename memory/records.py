"""Plain data records the store takes and returns (no ORM objects leave memory/)."""

from dataclasses import dataclass

# Subtype Kiok gives its own replies: stored for the record, never indexed as team memory (an answer is
# not evidence, and indexing it would let one wrong answer feed the next).
OWN_REPLY = "kiok_reply"


@dataclass(frozen=True)
class MessageRecord:
    """A message as Kiok keeps it. `ts` and `thread_ts` are Slack's strings ("1700000000.000100")."""

    team_id: str
    channel_id: str
    ts: str
    text: str
    user_id: str = ""
    thread_ts: str | None = None
    bot_id: str = ""
    subtype: str = ""
    edited_ts: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class UserRecord:
    team_id: str
    user_id: str
    name: str = ""
    real_name: str = ""
    display_name: str = ""
    is_bot: bool = False
    locale: str = ""
    tz: str = ""

    @property
    def label(self) -> str:
        """The name people see in Slack: display name, else real name, else handle, else the id."""
        return self.display_name or self.real_name or self.name or self.user_id


@dataclass(frozen=True)
class ChannelRecord:
    team_id: str
    channel_id: str
    name: str = ""
    kind: str = "channel"
    is_private: bool = False


__all__ = ["OWN_REPLY", "ChannelRecord", "MessageRecord", "UserRecord"]
