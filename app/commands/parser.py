"""Parse `/kiok` text into a subcommand and typed arguments. Pure: no Slack, no services.

Syntax decisions (also shown in `/kiok help`):
- The first word picks the subcommand (case-insensitive); an unknown or missing one shows help.
- `--share` anywhere, or `share` / `공유` as the first argument word, posts the result in the channel
  instead of privately (only for subcommands whose result is worth sharing: see SHAREABLE).
- Slack may wrap links as `<https://…|label>` when the command escapes links; both forms are accepted.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

SUBCOMMANDS = (
    "ask",
    "recall",
    "remember",
    "forget",
    "decisions",
    "brief",
    "catchup",
    "digest",
    "optout",
    "optin",
    "status",
    "help",
)
SHAREABLE = frozenset({"ask", "recall", "decisions", "brief", "status"})
SHARE_WORDS = frozenset({"share", "공유"})
MAX_FACT_CHARS = 500
MAX_QUERY_CHARS = 1000

WEEKDAYS: dict[str, int] = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{name: i for i, name in enumerate("월화수목금토일")},
    **{f"{name}요일": i for i, name in enumerate("월화수목금토일")},
}

_LINK = re.compile(
    r"<?(https?://[^\s/|>]+/archives/([CDG][A-Z0-9]+)/p([0-9]{7,})(?:\?([^\s|>]*))?)(?:\|[^>]*)?>?"
)
# ASCII digits only: Python's \d also matches Arabic-Indic and full-width digits, which are not timestamps.
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_RELATIVE = re.compile(r"([0-9]{1,4})\s*(d|w|일|주)")


class UsageError(Exception):
    """The arguments of `command` are wrong; `problem` is a string key saying how (for the reply)."""

    def __init__(self, command: str, problem: str = "", **values: str) -> None:
        super().__init__(f"{command}: {problem or 'bad arguments'}")
        self.command, self.problem, self.values = command, problem, values


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # one of SUBCOMMANDS
    args: str  # the rest, share flag removed, whitespace trimmed
    share: bool = False
    unknown: str = ""  # the word typed when it is not a subcommand (name is then "help")


def parse_command(text: str) -> ParsedCommand:
    """Split `/kiok` text into subcommand, arguments and the share flag."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return ParsedCommand("help", "")
    name, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if name not in SUBCOMMANDS:
        return ParsedCommand("help", "", unknown=words[0])
    if name not in SHAREABLE:
        return ParsedCommand(name, rest.strip())
    tokens = rest.split()
    share = "--share" in tokens
    if share:
        rest = re.sub(r"(^|\s)--share(?=\s|$)", " ", rest)
    first = rest.split(maxsplit=1)
    if first and first[0].lower() in SHARE_WORDS:
        share, rest = True, (first[1] if len(first) > 1 else "")
    return ParsedCommand(name, " ".join(rest.split()) if name != "ask" else rest.strip(), share)


# --- message links ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageLink:
    """A Slack message permalink: `https://x.slack.com/archives/C123/p1700000000000100[?thread_ts=…]`."""

    channel: str
    ts: str
    thread_ts: str | None = None

    @property
    def root(self) -> str:
        """The ts of the thread the linked message belongs to (itself when it is top level)."""
        return self.thread_ts or self.ts


def parse_message_link(text: str) -> MessageLink | None:
    match = _LINK.fullmatch(text.strip())
    if match is None:
        return None
    _url, channel, digits, query = match.groups()
    ts = f"{digits[:-6]}.{digits[-6:]}"
    params = dict(p.split("=", 1) for p in (query or "").split("&") if "=" in p)
    thread_ts = params.get("thread_ts")
    if thread_ts is not None and not re.fullmatch(r"[0-9]+\.[0-9]{6}", thread_ts):
        thread_ts = None
    return MessageLink(channel, ts, thread_ts if thread_ts != ts else None)


# --- forget -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForgetTarget:
    scope: Literal["message", "thread", "me", "channel"]
    link: MessageLink | None = None


def parse_forget(args: str) -> ForgetTarget:
    """`me`, `channel`, `<message link>`, or `thread <link>` (the whole thread the linked message is in)."""
    words = args.split()
    if len(words) == 1 and words[0].lower() in ("me", "channel"):
        return ForgetTarget("me" if words[0].lower() == "me" else "channel")
    thread = len(words) == 2 and words[0].lower() == "thread"
    if len(words) == 1 or thread:
        link = parse_message_link(words[-1])
        if link is not None:
            return ForgetTarget("thread" if thread else "message", link)
        raise UsageError("forget", "cmd_problem_link")
    raise UsageError("forget")


# --- free text ----------------------------------------------------------------------------------------


def parse_text(command: str, args: str, *, limit: int) -> str:
    """Required free text (a question, a query, a fact) of at most `limit` characters."""
    text = args.strip()
    if not text:
        raise UsageError(command)
    if len(text) > limit:
        raise UsageError(command, "cmd_problem_too_long", limit=str(limit))
    return text


def parse_no_args(command: str, args: str) -> None:
    if args.strip():
        raise UsageError(command, "cmd_problem_no_args")


# --- dates --------------------------------------------------------------------------------------------


def parse_since(args: str, *, now: datetime, tz: tzinfo) -> datetime | None:
    """`YYYY-MM-DD`, `7d`, `2w` (or `7일`, `2주`) -> the moment it starts; no argument -> None (all)."""
    text = args.strip().lower()
    if not text:
        return None
    relative = _RELATIVE.fullmatch(text)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        days = amount * (7 if unit in ("w", "주") else 1)
        return now - timedelta(days=days)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError("decisions", "cmd_problem_since") from None
    return datetime.combine(day, time.min, tz)


# --- digest -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestRequest:
    action: Literal["now", "schedule", "off", "status"]
    cadence: Literal["daily", "weekly", ""] = ""
    weekday: int = 0  # 0 = Monday (weekly only)
    at_time: str = ""  # "HH:MM"


def parse_digest(args: str) -> DigestRequest:
    """`now` | `daily HH:MM` | `weekly <day> HH:MM` | `off` | `status`."""
    words = args.lower().split()
    if words in (["now"], ["off"], ["status"]):
        return DigestRequest(words[0])  # type: ignore[arg-type]
    if len(words) == 2 and words[0] == "daily":
        return DigestRequest("schedule", "daily", 0, parse_clock(words[1]))
    if len(words) == 3 and words[0] == "weekly":
        if words[1] not in WEEKDAYS:
            raise UsageError("digest", "cmd_problem_weekday", day=words[1])
        return DigestRequest("schedule", "weekly", WEEKDAYS[words[1]], parse_clock(words[2]))
    raise UsageError("digest")


def parse_clock(text: str) -> str:
    """`9:00` / `18:30` -> `"09:00"` / `"18:30"`."""
    match = _TIME.fullmatch(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise UsageError("digest", "cmd_problem_time", time=text)
    return f"{int(match.group(1)):02d}:{match.group(2)}"


__all__ = [
    "MAX_FACT_CHARS",
    "MAX_QUERY_CHARS",
    "SHAREABLE",
    "SUBCOMMANDS",
    "WEEKDAYS",
    "DigestRequest",
    "ForgetTarget",
    "MessageLink",
    "ParsedCommand",
    "UsageError",
    "parse_clock",
    "parse_command",
    "parse_digest",
    "parse_forget",
    "parse_message_link",
    "parse_no_args",
    "parse_since",
    "parse_text",
]
