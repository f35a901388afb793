"""Hypothesis against the `/kiok` parser: any text gives a parsed command or a UsageError, never a crash,
and what it accepts is well formed. More examples with KIOK_SOAK=1."""

import os
import re
import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.commands import parser
from app.commands.parser import (
    SHAREABLE,
    SUBCOMMANDS,
    WEEKDAYS,
    UsageError,
    parse_clock,
    parse_command,
    parse_digest,
    parse_forget,
    parse_message_link,
    parse_since,
    parse_text,
)

SOAK = bool(os.environ.get("KIOK_SOAK"))
FUZZ = settings(
    max_examples=5000 if SOAK else 300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TS = re.compile(r"[0-9]+\.[0-9]{6}")

# Text made of the pieces commands are made of, plus arbitrary Unicode (lone surrogates included).
WORDS = st.sampled_from(
    [
        *SUBCOMMANDS,
        "--share",
        "share",
        "공유",
        "thread",
        "me",
        "channel",
        "daily",
        "weekly",
        "now",
        "off",
        "status",
        *WEEKDAYS,
        "09:00",
        "25:61",
        "7d",
        "2w",
        "3일",
        "2026-01-31",
        "<",
        ">",
        "|",
        "?thread_ts=",
        "https://acme.slack.com/archives/C123ABC/p1700000000000100",
        "p١٢٣٤٥٦٧٨",
        "\u3000",
        "\x00",
        "\ud800",
    ]
)
TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(WORDS, st.text(max_size=5)), max_size=8).map(" ".join),
    st.lists(WORDS, max_size=6).map("".join),
)
UNIT = st.sampled_from(["d", "w", "일", "주"])


@FUZZ
@given(TEXT)
@example("ask " + "x" * 40_000)
@example("recall \ud800 --share")
def test_parse_command_accepts_anything(text: str) -> None:
    parsed = parse_command(text)
    assert parsed.name in (*SUBCOMMANDS, "help")
    if parsed.share:
        assert parsed.name in SHAREABLE
        assert "--share" not in parsed.args.split()
    if parsed.unknown:
        assert parsed.name == "help" and parsed.unknown.lower() not in SUBCOMMANDS


@FUZZ
@given(TEXT)
def test_argument_parsers_give_a_value_or_a_usage_error(text: str) -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    for parse in (
        parse_forget,
        parse_digest,
        lambda s: parse_since(s, now=now, tz=UTC),
        lambda s: parse_text("ask", s, limit=parser.MAX_QUERY_CHARS),
        parse_clock,
    ):
        try:
            parse(text)
        except UsageError as exc:
            assert exc.command and (not exc.problem or exc.problem.startswith("cmd_problem"))


@FUZZ
@given(TEXT)
@example("https://acme.slack.com/archives/C1/p١٢٣٤٥٦٧٨")  # Arabic-Indic digits are \d in Python
@example("<https://x.slack.com/archives/C1/p1700000000000100?thread_ts=１７.０００００１|x>")
def test_message_links_give_ascii_timestamps(text: str) -> None:
    link = parse_message_link(text)
    if link is not None:
        assert re.fullmatch(r"[CDG][A-Z0-9]+", link.channel)
        assert TS.fullmatch(link.ts), link
        assert link.thread_ts is None or TS.fullmatch(link.thread_ts), link


@FUZZ
@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from(sorted(WEEKDAYS)))
def test_valid_schedules_round_trip(hour: int, minute: int, day: str) -> None:
    at = f"{hour}:{minute:02d}"
    assert parse_digest(f"daily {at}").at_time == f"{hour:02d}:{minute:02d}"
    weekly = parse_digest(f"WEEKLY {day} {at}")
    assert (weekly.cadence, weekly.weekday) == ("weekly", WEEKDAYS[day])


@FUZZ
@given(st.integers(0, 9999), UNIT, st.datetimes(min_value=datetime(1990, 1, 1), timezones=st.just(UTC)))
def test_relative_since_never_overflows(amount: int, unit: str, now: datetime) -> None:
    since = parse_since(f"{amount}{unit}", now=now, tz=UTC)
    assert since is not None and since <= now
    assert now - since == timedelta(days=amount * (7 if unit in ("w", "주") else 1))


@FUZZ
@given(st.text(alphabet=string.digits + "١٢٣٤٥٦٧٨٩٠０１２:", min_size=1, max_size=6))
def test_clock_accepts_only_ascii_times(text: str) -> None:
    try:
        clock = parse_clock(text)
    except UsageError:
        return
    assert re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", clock), clock


def test_overlong_text_is_refused_with_the_limit() -> None:
    with pytest.raises(UsageError) as caught:
        parse_text("ask", "x" * 40_000, limit=parser.MAX_QUERY_CHARS)
    assert caught.value.problem == "cmd_problem_too_long" and caught.value.values["limit"] == "1000"
