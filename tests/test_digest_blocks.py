"""Pure Block Kit builders of digests and App Home: shapes and Slack's limits."""

import json

from app.blocks.digests import (
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    TEXT_LIMIT,
    ActionLine,
    DecisionLine,
    DigestContent,
    QuestionLine,
    Reversal,
    ThreadLine,
    context,
    digest_message,
    fit,
    pack,
)
from app.blocks.home import (
    ACTION_DIGEST_DAILY,
    ACTION_DIGEST_NOW,
    ACTION_DIGEST_OFF,
    ACTION_OPT_IN,
    ACTION_OPT_OUT,
    ACTION_REFRESH,
    MAX_HOME_BLOCKS,
    HomeChannel,
    HomeModel,
    home_view,
)
from memory.digest_store import ScheduleRecord

SINCE, UNTIL = 1_763_000_000.0, 1_763_086_400.0


def texts(blocks: list[dict]) -> list[str]:  # type: ignore[type-arg]
    found = []
    for b in blocks:
        if "text" in b:
            found.append(b["text"]["text"])
        found += [e["text"] for e in b.get("elements", []) if isinstance(e.get("text"), str)]
    return found


def assert_within_limits(blocks: list[dict], text: str) -> None:  # type: ignore[type-arg]
    assert 0 < len(blocks) <= MAX_BLOCKS
    assert len(text) <= TEXT_LIMIT
    for block in blocks:
        assert block["type"] in {"section", "context", "divider", "header", "actions"}
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and 0 < len(block["text"]["text"]) <= SECTION_TEXT_LIMIT


def test_a_full_digest_has_every_part_with_links_and_a_fallback_without_them() -> None:
    content = DigestContent(
        channel_id="C1",
        language="en",
        since=SINCE,
        until=UNTIL,
        messages=12,
        people=3,
        decisions=(DecisionLine("Use Postgres in prod", "https://x.slack.com/archives/C1/p1"),),
        reversals=(Reversal("Ship Friday", "Ship Monday", "https://x.slack.com/archives/C1/p2"),),
        actions=(
            ActionLine("Fix PROJ-482", "Carol", "2026-11-20", overdue=True),
            ActionLine("Write notes", "Bob", "2026-12-01"),
            ActionLine("Book room", done=True),
        ),
        questions=(QuestionLine("Who signs off?"), QuestionLine("Which region?", answered=True)),
        threads=(ThreadLine("Release planning", 7, "https://x.slack.com/archives/C1/p3"),),
    )
    message = digest_message(content)
    assert_within_limits(message.blocks, message.text)
    body = "\n".join(texts(message.blocks))
    assert "*Digest of <#C1>*" in body and "12 messages · 3 people" in body
    assert "<!date^1763000000^" in body
    assert "• ~Ship Friday~ → Ship Monday _(reversed)_ <https://x.slack.com/archives/C1/p2|source>" in body
    assert "• Fix PROJ-482 — *Carol* · due 2026-11-20 · :warning: *overdue*" in body
    assert (
        "• Write notes — *Bob* · due 2026-12-01" in body
        and "overdue" not in body.split("Write notes")[1][:40]
    )
    assert "~Book room~ — :white_check_mark: done" in body
    assert "• Who signs off?" in body and "~Which region?~ _(answered)_" in body
    assert "• <https://x.slack.com/archives/C1/p3|Release planning> — 7 replies" in body
    assert "https://" not in message.text  # the fallback reads without links
    for words in (
        "Ship Friday",
        "Ship Monday",
        "Fix PROJ-482",
        "overdue",
        "Who signs off?",
        "Release planning",
    ):
        assert words in message.text


def test_nothing_changed_is_one_short_message_in_both_languages() -> None:
    for language, words in (("en", "Nothing changed"), ("ko", "바뀐 것이 없어요")):
        message = digest_message(DigestContent("C1", language, SINCE, UNTIL))  # type: ignore[arg-type]
        assert_within_limits(message.blocks, message.text)
        assert (
            len(message.blocks) == 3 and words in message.blocks[2]["text"]["text"] and words in message.text
        )


def test_korean_digest_is_korean() -> None:
    content = DigestContent("C1", "ko", SINCE, UNTIL, 1, 1, decisions=(DecisionLine("금요일 배포"),))
    message = digest_message(content)
    body = "\n".join(texts(message.blocks))
    assert "*<#C1> 요약*" in body and "*결정 사항*" in body and "메시지 1개 · 1명 참여" in body


def test_channel_text_is_escaped_so_it_cannot_ping_or_fake_links() -> None:
    content = DigestContent(
        "C1", "en", SINCE, UNTIL, 1, 1, decisions=(DecisionLine("<!channel> see <http://evil|x>"),)
    )
    body = json.dumps(digest_message(content).blocks)
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body and "<http://evil" not in body


def test_huge_digests_stay_within_slack_limits() -> None:
    long = "word " * 200
    content = DigestContent(
        "C1",
        "en",
        SINCE,
        UNTIL,
        5000,
        40,
        decisions=tuple(DecisionLine(f"{i} {long}", f"https://x/{i}") for i in range(40)),
        reversals=tuple(Reversal(long, long, f"https://x/r{i}") for i in range(40)),
        actions=tuple(ActionLine(f"{i} {long}", "Owner", "2026-01-01", overdue=True) for i in range(40)),
        questions=tuple(QuestionLine(long) for _ in range(40)),
        threads=tuple(ThreadLine(long, i, f"https://x/t{i}") for i in range(40)),
    )
    message = digest_message(content)
    assert_within_limits(message.blocks, message.text)
    body = "\n".join(texts(message.blocks))
    assert "…and 70 more" in body  # 40 reversals + 40 decisions, 10 shown
    assert "…and 30 more" in body


def test_pack_splits_sections_and_fit_caps_blocks() -> None:
    lines = ["x" * 900 for _ in range(10)]
    blocks = pack("*Heading*", lines)
    assert len(blocks) == 4 and all(len(b["text"]["text"]) <= SECTION_TEXT_LIMIT for b in blocks)
    assert blocks[0]["text"]["text"].startswith("*Heading*\n")
    many = [context(str(i)) for i in range(80)]
    capped = fit(many, "more")
    assert len(capped) == MAX_BLOCKS and capped[-1] == context("more") and capped[-2] == context("48")


def action_ids(view: dict) -> list[str]:  # type: ignore[type-arg]
    ids = []
    for block in view["blocks"]:
        ids += [e["action_id"] for e in block.get("elements", []) if "action_id" in e]
        if "accessory" in block:
            ids.append(block["accessory"]["action_id"])
    return ids


def test_home_view_lists_channels_with_schedules_decisions_and_buttons() -> None:
    channels = (
        HomeChannel(
            "C1", ScheduleRecord("T", "C1", "weekly", 4, "17:00", "Asia/Seoul"), SINCE, ("Ship Monday",)
        ),
        HomeChannel("C2"),
    )
    view = home_view(HomeModel("en", False, channels, notice="Digest posted in <#C1>.", can_schedule=True))
    assert view["type"] == "home" and len(view["blocks"]) <= MAX_HOME_BLOCKS
    body = "\n".join(texts(view["blocks"]))
    assert "Digest posted in <#C1>." in body and "Kiok remembers your messages" in body
    assert "*<#C1>*\n:calendar: Weekly digest on Friday at 17:00 (Asia/Seoul)" in body
    assert "• Ship Monday" in body and "No scheduled digest" in body and "No decisions recorded yet." in body
    ids = action_ids(view)
    assert ids.count(ACTION_DIGEST_NOW) == 2 and ACTION_DIGEST_OFF in ids and ACTION_DIGEST_DAILY in ids
    assert ACTION_REFRESH in ids and ACTION_OPT_OUT in ids and ACTION_OPT_IN not in ids
    opt_out = next(b["accessory"] for b in view["blocks"] if "accessory" in b)
    assert opt_out["confirm"]["style"] == "danger"  # erasing memory asks first
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def test_only_admins_get_schedule_buttons() -> None:
    ids = action_ids(home_view(HomeModel("en", False, (HomeChannel("C1"),))))
    assert ACTION_DIGEST_NOW in ids and ACTION_DIGEST_DAILY not in ids and ACTION_DIGEST_OFF not in ids


def test_home_view_for_an_opted_out_korean_user_with_many_channels() -> None:
    channels = tuple(HomeChannel(f"C{i}", decisions=("결정",)) for i in range(60))
    view = home_view(HomeModel("ko", True, channels, more_channels=5))
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS
    body = "\n".join(texts(view["blocks"]))
    assert "기억 거부 중" in body and ACTION_OPT_IN in action_ids(view)
    shown = sum(1 for b in view["blocks"] if b.get("block_id", "").startswith("kiok_home_channel_"))
    assert f"…외 채널 {60 + 5 - shown}개" in body


def test_home_view_without_channels_says_how_to_start() -> None:
    body = "\n".join(texts(home_view(HomeModel("en", False))["blocks"]))
    assert "Invite @kiok" in body
