"""Digest time arithmetic: schedule validation, the period a run belongs to, Slack timestamps."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from memory.digest_store import ScheduleRecord

CADENCES = ("daily", "weekly")
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class InvalidSchedule(ValueError):
    """A schedule Kiok cannot run; the message says what to change."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(f"unknown time zone {name!r}: use an IANA name such as Asia/Seoul") from None


def validate(cadence: str, weekday: int | None, at_time: str, tz: str) -> tuple[int, int, int]:
    """(weekday, hour, minute) of a valid schedule; InvalidSchedule otherwise."""
    if cadence not in CADENCES:
        raise InvalidSchedule(f"cadence must be one of {', '.join(CADENCES)}, not {cadence!r}")
    if cadence == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        raise InvalidSchedule("a weekly digest needs a weekday from 0 (Monday) to 6 (Sunday)")
    match = _HH_MM.match(at_time)
    if match is None:
        raise InvalidSchedule(f"time must be HH:MM on a 24-hour clock, not {at_time!r}")
    zone(tz)
    return weekday or 0, int(match.group(1)), int(match.group(2))


def trigger(schedule: ScheduleRecord) -> CronTrigger:
    """The cron trigger that fires a schedule, in its own time zone (daylight saving included)."""
    hour, minute = (int(part) for part in schedule.at_time.split(":"))
    fields: dict[str, object] = {"hour": hour, "minute": minute, "timezone": zone(schedule.timezone)}
    if schedule.cadence == "weekly":
        fields["day_of_week"] = CRON_DAYS[schedule.weekday]
    return CronTrigger(**fields)


def latest_occurrence(schedule: ScheduleRecord, now: datetime) -> datetime:
    """The most recent time the schedule fired at or before `now` (a late run still names its period)."""
    tz = zone(schedule.timezone)
    local = now.astimezone(tz)
    hour, minute = (int(part) for part in schedule.at_time.split(":"))
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if schedule.cadence == "weekly":
        candidate -= timedelta(days=(candidate.weekday() - schedule.weekday) % 7)
    step = timedelta(days=7 if schedule.cadence == "weekly" else 1)
    while candidate > local:
        candidate -= step
    return candidate


def period_key(schedule: ScheduleRecord, occurrence: datetime) -> str:
    """`daily:YYYY-MM-DD` or `weekly:YYYY-Www` of an occurrence, in the schedule's time zone."""
    local = occurrence.astimezone(zone(schedule.timezone))
    if schedule.cadence == "weekly":
        iso = local.isocalendar()
        return f"weekly:{iso.year}-W{iso.week:02d}"
    return f"daily:{local.date().isoformat()}"


def manual_key(now: datetime) -> str:
    """`now:<UTC minute>`: a manual digest, at most one per channel and minute."""
    return "now:" + now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def lookback(cadence: str | None) -> timedelta:
    """How far back the first digest of a channel looks."""
    return timedelta(days=1) if cadence == "daily" else timedelta(days=7)


def to_ts(when: datetime) -> str:
    """A datetime as a Slack `ts` string, comparable with stored message timestamps."""
    return f"{when.timestamp():.6f}"


def from_ts(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


__all__ = [
    "CADENCES",
    "CRON_DAYS",
    "InvalidSchedule",
    "from_ts",
    "latest_occurrence",
    "lookback",
    "manual_key",
    "period_key",
    "to_ts",
    "trigger",
    "validate",
    "zone",
]
