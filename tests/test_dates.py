"""Date expressions in English and Korean resolved from the message's time, in the author's time zone."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summarizer.dates import annotate, resolve_dates, resolve_due

SEOUL = "Asia/Seoul"


def at(day: str, time: str = "10:00", tz: str = SEOUL) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=ZoneInfo(tz))


MON = at("2026-11-23")
WED = at("2026-11-25")
FRI = at("2026-11-27")
SUN = at("2026-11-29")
DEC = at("2026-12-28")  # a Monday near the year's end
JAN31 = at("2027-01-31")  # a Sunday at a month's end

# (text, anchor, expression found, its date, precision); anchors are 10:00 in Seoul.
CASES = [
    ("I'll send it tomorrow", MON, "tomorrow", "2026-11-24", "day"),
    ("tomorrow works", FRI, "tomorrow", "2026-11-28", "day"),
    ("the day after tomorrow works", MON, "the day after tomorrow", "2026-11-25", "day"),
    ("let's wrap up by EOD", WED, "EOD", "2026-11-25", "day"),
    ("we shipped it yesterday", MON, "yesterday", "2026-11-22", "day"),
    ("send by next Friday", MON, "next Friday", "2026-12-04", "day"),
    ("next Friday", FRI, "next Friday", "2026-12-04", "day"),
    ("next Friday", SUN, "next Friday", "2026-12-04", "day"),
    ("this Friday", MON, "this Friday", "2026-11-27", "day"),
    ("this Friday", FRI, "this Friday", "2026-11-27", "day"),
    ("on Friday", FRI, "Friday", "2026-12-04", "day"),
    ("can you review it by Wed?", MON, "Wed", "2026-11-25", "day"),
    ("as we agreed last Friday", MON, "last Friday", "2026-11-20", "day"),
    ("Friday next week", WED, "Friday next week", "2026-12-04", "day"),
    ("in two weeks", MON, "in two weeks", "2026-12-07", "day"),
    ("in 3 business days", FRI, "in 3 business days", "2026-12-02", "day"),
    ("3 days ago", MON, "3 days ago", "2026-11-20", "day"),
    ("on the 5th", MON, "the 5th", "2026-12-05", "day"),
    ("on the 5th", DEC, "the 5th", "2027-01-05", "day"),
    ("Jan 5", DEC, "Jan 5", "2027-01-05", "day"),
    ("the Nov 12 release", DEC, "Nov 12", "2026-11-12", "day"),
    ("March 3rd", JAN31, "March 3rd", "2027-03-03", "day"),
    ("due 12/3", MON, "12/3", "2026-12-03", "day"),
    ("due 1/5", DEC, "1/5", "2027-01-05", "day"),
    ("launch on 2027-01-15", MON, "2027-01-15", "2027-01-15", "day"),
    ("Fri, Dec 4 at 3pm", MON, "Fri, Dec 4", "2026-12-04", "day"),
    ("the 12th of December", MON, "the 12th of December", "2026-12-12", "day"),
    ("end of month", JAN31, "end of month", "2027-01-31", "day"),
    ("by the end of the month", MON, "the end of the month", "2026-11-30", "day"),
    ("next month", DEC, "next month", "2027-01-01", "month"),
    ("next week", SUN, "next week", "2026-11-30", "week"),
    ("this weekend", MON, "this weekend", "2026-11-28", "day"),
    ("by end of week", WED, "end of week", "2026-11-27", "day"),
    ("in March", DEC, "March", "2027-03-01", "month"),
    ("Friday EOD", MON, "Friday", "2026-11-27", "day"),
    ("EOD tomorrow", MON, "tomorrow", "2026-11-24", "day"),
    ("next week Friday", MON, "next week Friday", "2026-12-04", "day"),
    ("this Fri, Dec 4", MON, "this Fri, Dec 4", "2026-12-04", "day"),  # the explicit date decides
    ("in 3 days", SUN, "in 3 days", "2026-12-02", "day"),
    ("내일 보낼게요", MON, "내일", "2026-11-24", "day"),
    ("모레까지 드릴게요", FRI, "모레", "2026-11-29", "day"),
    ("다음 주 금요일", MON, "다음 주 금요일", "2026-12-04", "day"),
    ("다음주 월요일에", SUN, "다음주 월요일", "2026-11-30", "day"),
    ("이번 주 목요일", FRI, "이번 주 목요일", "2026-11-26", "day"),
    ("금요일까지 보고서 보낼게요", MON, "금요일", "2026-11-27", "day"),
    ("금요일에 봐요", FRI, "금요일", "2026-12-04", "day"),
    ("다음 달 5일", DEC, "다음 달 5일", "2027-01-05", "day"),
    ("3일 후", MON, "3일 후", "2026-11-26", "day"),
    ("2주 뒤에", DEC, "2주 뒤에", "2027-01-11", "day"),
    ("이틀 뒤", MON, "이틀 뒤", "2026-11-25", "day"),
    ("한 달 후", JAN31, "한 달 후", "2027-02-28", "day"),
    ("11월 12일", MON, "11월 12일", "2026-11-12", "day"),
    ("1월 5일까지", DEC, "1월 5일", "2027-01-05", "day"),
    ("2026년 12월 25일", JAN31, "2026년 12월 25일", "2026-12-25", "day"),
    ("내년 3월", MON, "내년 3월", "2027-03-01", "month"),
    ("오늘 오후 3시", MON, "오늘 오후", "2026-11-23", "day"),
    ("월말까지", MON, "월말", "2026-11-30", "day"),
    ("이번 달 말", JAN31, "이번 달 말", "2027-01-31", "day"),
    ("다음 달에", DEC, "다음 달", "2027-01-01", "month"),
    ("12/3(목)까지", MON, "12/3(목)", "2026-12-03", "day"),
    ("5일에 배포", MON, "5일", "2026-12-05", "day"),
    ("25일까지 제출", MON, "25일", "2026-11-25", "day"),
    ("지난 금요일", MON, "지난 금요일", "2026-11-20", "day"),
    ("이번 주말", SUN, "이번 주말", "2026-11-29", "day"),
    ("다음 주에 봐요", MON, "다음 주", "2026-11-30", "week"),
    ("3영업일 이내", FRI, "3영업일 이내", "2026-12-02", "day"),
]


@pytest.mark.parametrize(
    ("text", "anchor", "expression", "expected", "precision"), CASES, ids=[c[0] for c in CASES]
)
def test_resolves_one_expression(
    text: str, anchor: dt.datetime, expression: str, expected: str, precision: str
) -> None:
    mentions = resolve_dates(text, anchor=anchor, tz=SEOUL)
    assert [(m.expression, m.date.isoformat(), m.precision) for m in mentions] == [
        (expression, expected, precision)
    ]
    assert all(text[m.start : m.end] == m.expression for m in mentions)


def test_the_day_is_the_day_in_the_time_zone_given() -> None:
    late = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)  # already Tuesday 08:30 in Seoul
    assert resolve_due("tomorrow", anchor=late, tz="UTC") == dt.date(2026, 11, 24)
    assert resolve_due("tomorrow", anchor=late, tz=SEOUL) == dt.date(2026, 11, 25)
    assert resolve_due("내일", anchor=late, tz=ZoneInfo(SEOUL)) == dt.date(2026, 11, 25)
    assert resolve_due("today", anchor=late, tz="America/Los_Angeles") == dt.date(2026, 11, 23)
    assert resolve_due("today", anchor=late) == dt.date(2026, 11, 23)  # UTC by default


def test_anchor_must_be_aware_and_the_zone_known() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        resolve_dates("tomorrow", anchor=dt.datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="Asia/Seoul"):
        resolve_dates("tomorrow", anchor=MON, tz="Mars/Olympus")


@pytest.mark.parametrize(
    "text",
    [
        "I had 2 coffees",
        "PROJ-123 is blocked",
        "bumped to v2.3",
        "pinned v2026.1.5",
        "3/4 of the team agreed",
        "9/10 tests passed",
        "it's 50/50",
        "we are open 24/7",
        "Friday Night Funkin' is a game",
        "May I ask something?",
        "you may go now",
        "March on, everyone",
        "Sun is out",
        "the 5th attempt failed",
        "it takes 2 weeks",
        "every Friday we demo",
        "server 10.0.0.1 is down",
        "1.5 days of work",
        "5일 동안 휴가예요",
        "3개월 동안 진행",
        "다음 주제로 넘어가죠",
        "내일정이 너무 바빠요",
        "매주 금요일 회의",
        "2주 내내 바빴어요",
        "오후 3시에 회의",
        "월급날",
    ],
)
def test_ordinary_text_has_no_dates(text: str) -> None:
    assert resolve_dates(text, anchor=MON, tz=SEOUL) == []


@pytest.mark.parametrize(
    ("text", "annotated"),
    [
        ("Minsu will send the report tomorrow", "Minsu will send the report tomorrow [2026-11-24 Tue]"),
        ("내일 회의 어때요?", "내일 [2026-11-24 화] 회의 어때요?"),
        ("금요일까지 보고서 보낼게요", "금요일까지 [2026-11-27 금] 보고서 보낼게요"),
        ("12/3까지 제출해 주세요", "12/3까지 [2026-12-03 목] 제출해 주세요"),
        ("let's meet next week", "let's meet next week [2026-11-30 – 2026-12-06]"),
        ("다음 달에 출시", "다음 달에 [2026-12] 출시"),
        ("no dates here", "no dates here"),
        (
            "by next Friday, 리뷰는 내일까지",
            "by next Friday [2026-12-04 Fri], 리뷰는 내일까지 [2026-11-24 화]",
        ),
    ],
)
def test_annotate(text: str, annotated: str) -> None:
    assert annotate(text, anchor=MON, tz=SEOUL) == annotated
    assert annotate(annotated, anchor=MON, tz=SEOUL) == annotated  # annotating twice changes nothing


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("Minsu will send the report by next Friday", "2026-12-04"),
        ("금요일까지 보고서 보낼게요", "2026-11-27"),
        ("As discussed yesterday, I'll draft it tomorrow and send it Friday", "2026-11-27"),
        ("Review tomorrow, submit by Thursday; demo next month", "2026-11-26"),
        ("다음 주까지 검토 부탁드려요", "2026-12-04"),
        ("이번 달 안에 마무리할게요", "2026-11-30"),
        ("EOD tomorrow", "2026-11-24"),
        ("내일 오전까지 공유드릴게요", "2026-11-24"),
        ("by EOD", "2026-11-23"),
        ("지원이가 12월 3일까지 정리", "2026-12-03"),
        ("Minsu: send the report (due [2026-11-27 Fri])", "2026-11-27"),  # a model copied our annotation
        ("We released it last Friday", None),
        ("Someone should look at the flaky test", None),
    ],
)
def test_resolve_due(text: str, due: str | None) -> None:
    found = resolve_due(text, anchor=MON, tz=SEOUL)
    assert (found.isoformat() if found else None) == due


TOKENS = [
    "next", "this", "last", "on", "by", "the", "of", "Friday", "Fri", "EOD", "tomorrow", "week", "month",
    "in", "2", "999", "days", "months", "ago", "12/3", "2/30", "Feb 29", "Feb 30", "2026-02-30", "31st",
    "9999-12-31", "다음", "주", "달", "금요일", "까지", "내일", "31일에", "2월 30일", "999개월 후",
    "말", "주말", "(목)", "[2026-11-24 Tue]", "–", ",", " ",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    text=st.text() | st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=12).map(" ".join),
    day=st.dates(min_value=dt.date(2, 1, 1), max_value=dt.date(9998, 12, 31)),
    tz=st.sampled_from(["UTC", SEOUL, "America/Los_Angeles", "Pacific/Kiritimati"]),
)
def test_arbitrary_text_never_raises(text: str, day: dt.date, tz: str) -> None:
    anchor = dt.datetime.combine(day, dt.time(12), dt.UTC)
    mentions = resolve_dates(text, anchor=anchor, tz=tz)
    assert all(text[m.start : m.end] == m.expression for m in mentions)
    assert all(a.end <= b.start for a, b in itertools.pairwise(mentions))
    annotate(text, anchor=anchor, tz=tz)
    resolve_due(text, anchor=anchor, tz=tz)


PHRASES = [
    "tomorrow",
    "EOD",
    "next Friday",
    "by",
    "내일",
    "다음 주",
    "금요일까지",
    "12/3까지",
    "on the 5th",
    "and",
    ",",
]


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(PHRASES), max_size=8).map(" ".join))
def test_annotating_twice_changes_nothing(text: str) -> None:
    once = annotate(text, anchor=MON, tz=SEOUL)
    assert annotate(once, anchor=MON, tz=SEOUL) == once
