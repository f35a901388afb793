"""Unit tests of `/kiok`: the parser, the Block Kit builders (Slack's limits), and the visits store."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.blocks import commands as blocks
from app.blocks.commands import Entry
from app.commands.digest import describe
from app.commands.parser import (
    DigestRequest,
    ForgetTarget,
    MessageLink,
    ParsedCommand,
    UsageError,
    parse_command,
    parse_digest,
    parse_forget,
    parse_message_link,
    parse_since,
    parse_text,
)
from app.i18n import STRINGS
from memory.records import OWN_REPLY, MessageRecord
from memory.store import MessageStore
from memory.summaries import EpisodeRecord, ItemRecord, SummaryStore
from memory.visits import ThreadActivity, VisitStore
from summarizer.language import Language

# --- parser --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ParsedCommand("help", "")),
        ("   ", ParsedCommand("help", "")),
        ("HELP", ParsedCommand("help", "")),
        ("dance now", ParsedCommand("help", "", unknown="dance")),
        ("ask when do we ship?", ParsedCommand("ask", "when do we ship?")),
        ("ask --share when do we ship?", ParsedCommand("ask", "when do we ship?", share=True)),
        ("ask when do we ship? --share", ParsedCommand("ask", "when do we ship?", share=True)),
        ("ask share when do we ship?", ParsedCommand("ask", "when do we ship?", share=True)),
        ("ask what should we share?", ParsedCommand("ask", "what should we share?")),
        ("ask 공유 배포 언제?", ParsedCommand("ask", "배포 언제?", share=True)),
        ("ask what does --shared mean", ParsedCommand("ask", "what does --shared mean")),
        ("brief share", ParsedCommand("brief", "", share=True)),
        ("decisions share 7d", ParsedCommand("decisions", "7d", share=True)),
        ("remember --share is a flag", ParsedCommand("remember", "--share is a flag")),  # not shareable
        ("Recall  PROJ-482   billing", ParsedCommand("recall", "PROJ-482 billing")),
    ],
)
def test_parse_command(text: str, expected: ParsedCommand) -> None:
    assert parse_command(text) == expected


def test_message_links_plain_escaped_and_in_threads() -> None:
    url = "https://acme.slack.com/archives/C0123ABC/p1700000000000100"
    assert parse_message_link(url) == MessageLink("C0123ABC", "1700000000.000100")
    assert parse_message_link(f"<{url}>") == MessageLink("C0123ABC", "1700000000.000100")
    assert parse_message_link(f"<{url}|a label>") == MessageLink("C0123ABC", "1700000000.000100")
    reply = parse_message_link(f"{url}?thread_ts=1699999999.000200&cid=C0123ABC")
    assert reply == MessageLink("C0123ABC", "1700000000.000100", "1699999999.000200")
    assert reply.root == "1699999999.000200"
    root = parse_message_link(f"{url}?thread_ts=1700000000.000100&cid=C0123ABC")
    assert root == MessageLink("C0123ABC", "1700000000.000100") and root.root == root.ts
    enterprise = "https://acme.enterprise.slack.com/archives/G0PRIVATE/p1700000000000100"
    assert parse_message_link(enterprise) == MessageLink("G0PRIVATE", "1700000000.000100")
    for bad in ("https://example.com/nope", "C0123/p1700000000000100", f"{url} extra", "me"):
        assert parse_message_link(bad) is None, bad


def test_parse_forget_targets_and_errors() -> None:
    url = "https://acme.slack.com/archives/C1/p1700000000000100"
    assert parse_forget("me") == ForgetTarget("me")
    assert parse_forget("CHANNEL") == ForgetTarget("channel")
    assert parse_forget(url) == ForgetTarget("message", MessageLink("C1", "1700000000.000100"))
    assert parse_forget(f"thread {url}").scope == "thread"
    with pytest.raises(UsageError) as bad_link:
        parse_forget("https://example.com/x")
    assert bad_link.value.problem == "cmd_problem_link"
    for bad in ("", "me channel", "everything please"):
        with pytest.raises(UsageError):
            parse_forget(bad)


def test_parse_since_dates_and_spans() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=seoul)
    assert parse_since("", now=now, tz=seoul) is None
    assert parse_since("7d", now=now, tz=seoul) == now - timedelta(days=7)
    assert parse_since("2w", now=now, tz=seoul) == now - timedelta(days=14)
    assert parse_since("3일", now=now, tz=seoul) == now - timedelta(days=3)
    assert parse_since("2025-03-04", now=now, tz=seoul) == datetime(2025, 3, 4, tzinfo=seoul)
    for bad in ("yesterday-ish", "2025-13-01", "7 days ago"):
        with pytest.raises(UsageError):
            parse_since(bad, now=now, tz=seoul)


def test_parse_digest() -> None:
    assert parse_digest("now") == DigestRequest("now")
    assert parse_digest("STATUS") == DigestRequest("status")
    assert parse_digest("daily 9:05") == DigestRequest("schedule", "daily", 0, "09:05")
    assert parse_digest("weekly Friday 17:30") == DigestRequest("schedule", "weekly", 4, "17:30")
    assert parse_digest("weekly 월 08:00") == DigestRequest("schedule", "weekly", 0, "08:00")
    assert parse_digest("weekly 금요일 08:00").weekday == 4
    problems = {
        "daily 24:00": "cmd_problem_time",
        "daily 9": "cmd_problem_time",
        "weekly someday 09:00": "cmd_problem_weekday",
        "hourly": "",
        "": "",
        "daily": "",
    }
    for text, problem in problems.items():
        with pytest.raises(UsageError) as err:
            parse_digest(text)
        assert err.value.problem == problem, text


def test_parse_text_requires_and_limits() -> None:
    assert parse_text("ask", "  hi  ", limit=10) == "hi"
    with pytest.raises(UsageError):
        parse_text("ask", "   ", limit=10)
    with pytest.raises(UsageError) as err:
        parse_text("remember", "x" * 11, limit=10)
    assert err.value.values == {"limit": "10"}


def test_every_usage_problem_is_a_string_in_both_languages() -> None:
    problems = ["cmd_problem_link", "cmd_problem_since", "cmd_problem_weekday", "cmd_problem_time"]
    problems += ["cmd_problem_too_long", "cmd_problem_no_args"]
    for key in problems:
        assert set(STRINGS[key]) == {"en", "ko"}
    for name in blocks.USAGE:
        assert f"cmd_help_{name}" in STRINGS


# --- Block Kit builders ---------------------------------------------------------------------------------


def assert_within_limits(payload: blocks.Payload) -> None:
    assert len(payload["text"]) <= 4000
    assert len(payload.get("blocks", [])) <= 50
    for block in payload.get("blocks", []):
        if block["type"] == "section" and "text" in block:
            assert 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "section" and "fields" in block:
            assert len(block["fields"]) <= 10 and all(len(f["text"]) <= 2000 for f in block["fields"])
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])


def test_long_text_is_split_into_sections_within_limits() -> None:
    text = "\n".join(f"line {i} " + "word " * 40 for i in range(1000))  # ~210,000 characters
    payload = blocks.text_message("Brief " * 50, text)
    assert_within_limits(payload)
    assert payload["blocks"][-1]["type"] == "context" and "…" in payload["blocks"][-1]["elements"][0]["text"]
    one_line = blocks.sections("x" * 7000)
    assert [len(b["text"]["text"]) for b in one_line] == [3000, 3000, 1000]


def test_recall_message_with_many_long_hits() -> None:
    hits = [
        Entry("memory " * 500, "Tue 04 Mar 2025", f"https://x.slack.com/archives/C1/p{i}", "Bob")
        for i in range(40)
    ]
    payload = blocks.recall_message("en", "query " * 100, hits, public=False)
    assert_within_limits(payload)
    assert payload["response_type"] == "ephemeral"
    assert payload["blocks"][2]["elements"][0]["text"].startswith("<https://x.slack.com/archives/C1/p0|Tue")
    assert blocks.recall_message("en", "q", [], public=True)["response_type"] == "in_channel"


def test_list_and_fields_messages_respect_limits() -> None:
    entries = [
        Entry(f"decision {i} " + "text " * 100, "Mon", None, "reversed", struck=i % 2 == 0)
        for i in range(300)
    ]
    payload = blocks.list_message("Decisions", [("Group", entries), ("Empty", [])], intro="intro", footer="f")
    assert_within_limits(payload)
    assert "*Empty*" not in str(payload["blocks"])
    fields = blocks.fields_message("Status", [(f"label {i}", "v" * 3000) for i in range(25)])
    assert_within_limits(fields)
    assert sum(1 for b in fields["blocks"] if "fields" in b) == 3


def test_confirm_message_carries_the_request_in_its_buttons() -> None:
    payload = blocks.confirm_message(
        "ko", "지울까요?", button="지우기", value={"scope": "channel", "channel": "C1", "user": "U1"}
    )
    assert_within_limits(payload)
    actions = payload["blocks"][1]
    confirm, cancel = actions["elements"]
    assert (confirm["action_id"], confirm["style"]) == (blocks.CONFIRM_ACTION, "danger")
    assert cancel["action_id"] == blocks.CANCEL_ACTION and cancel["text"]["text"] == "취소"
    assert confirm["value"] == '{"scope":"channel","channel":"C1","user":"U1"}'


def test_help_lists_every_subcommand_in_both_languages() -> None:
    languages: tuple[Language, ...] = ("en", "ko")
    for language in languages:
        payload = blocks.help_message(language, unknown="x" * 500)
        assert_within_limits(payload)
        for usage in blocks.USAGE.values():
            assert usage in str(payload["blocks"])


def test_day_labels_and_schedule_descriptions() -> None:
    moment = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    assert blocks.day_label(moment, "en") == "Tue 04 Mar 2025"
    assert blocks.day_label(moment, "ko") == "2025-03-04 (화)"
    assert describe("en", None) == "No digest is scheduled for this channel."
    weekly = {"cadence": "weekly", "weekday": 0, "at_time": "08:00", "timezone": "Asia/Seoul"}
    assert "every Monday at 08:00 (Asia/Seoul)" in describe("en", weekly)
    assert "매주 월요일 08:00" in describe("ko", weekly)
    assert "off" in describe("en", {**weekly, "enabled": False})


# --- the visits store behind catch-up (SQLite, and PostgreSQL when TEST_DATABASE_URL is set) ---------------


def test_visits_record_forward_only_and_count_new_activity(store: MessageStore) -> None:
    visits = VisitStore(store.engine)
    team, channel = "T1", "C1"
    records = [
        MessageRecord(team, channel, "1700000001.000100", "root", "U1"),
        MessageRecord(team, channel, "1700000002.000100", "reply", "U2", thread_ts="1700000001.000100"),
        MessageRecord(team, channel, "1700000003.000100", "reply 2", "U3", thread_ts="1700000001.000100"),
        MessageRecord(team, channel, "1700000004.000100", "mine", "ME"),
        MessageRecord(team, channel, "1700000005.000100", "kiok said", "UBOT", subtype=OWN_REPLY),
        MessageRecord(team, "C2", "1700000006.000100", "elsewhere", "U1"),
    ]
    store.upsert_messages(records)
    activity = visits.activity_since(team, channel, "1700000000.000000", exclude_user="ME")
    assert (activity.messages, activity.people, activity.newest_ts) == (3, 3, "1700000004.000100")
    assert activity.threads == (ThreadActivity("1700000001.000100", 3),)
    later = visits.activity_since(team, channel, "1700000002.000100", exclude_user="ME")
    assert (later.messages, later.threads) == (1, ())
    assert visits.activity_since(team, channel, "1700000004.000100").messages == 0

    assert visits.last_visit(team, "ME", channel) is None
    visits.record_visit(team, "ME", channel, "1700000004.000100")
    first = visits.last_visit(team, "ME", channel)
    assert first is not None and first.last_seen_ts == "1700000004.000100" and first.at.tzinfo is not None
    visits.record_visit(team, "ME", channel, "1700000002.000100")  # a late write never moves it back
    second = visits.last_visit(team, "ME", channel)
    assert second is not None and second.last_seen_ts == "1700000004.000100" and second.at >= first.at


def test_visits_know_which_items_were_written_after_a_moment(store: MessageStore) -> None:
    visits, summaries = VisitStore(store.engine), SummaryStore(store.engine)
    episode = EpisodeRecord("T1", "C1", "thread", "k1", "1.000000", "1.000000", "s")
    summaries.save_summary(episode, [ItemRecord("T1", "C1", "decision", "old", "1.000000")], [])
    moment = datetime.now(UTC)
    later = EpisodeRecord("T1", "C1", "thread", "k2", "2.000000", "2.000000", "s")
    summaries.save_summary(later, [ItemRecord("T1", "C1", "decision", "new", "2.000000")], [])
    ids = visits.item_ids_since("T1", "C1", moment)
    assert [i.text for i in summaries.items("T1", "C1") if i.id in ids] == ["new"]
    assert visits.item_ids_since("T1", "C2", moment) == set()
