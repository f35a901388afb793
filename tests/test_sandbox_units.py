"""The sandbox's parts, in-process: demo shifting, workspace save/load, rendering, the streaming screen."""

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from app.emulator import SlackEmulator
from app.i18n import t
from app.sandbox.feed import Feed
from app.sandbox.helpers import expand_mentions, find_digest_hook, parse_duration
from app.sandbox.local_llm import fit_window, gemma_turns
from app.sandbox.render import blocks_text, mrkdwn
from app.sandbox.runtime import SandboxError, prepare_dir
from app.sandbox.screen import Refs, Screen
from app.sandbox.transcript import Transcript, is_error_reply
from app.sandbox.workspace import (
    DEMO_DIR,
    demo_shift_days,
    load_export,
    populate_default,
    save_export,
    shift_dates,
    shift_export,
)
from summarizer.llm.base import ChatMessage


def names(ref: str) -> str:
    return {"U1": "alice", "C1": "design"}.get(ref, ref)


def test_dates_in_text_move_with_the_shift_in_every_format_people_write() -> None:
    text = "GA 2025-04-04, RC1 03-31; 출시 4/4, 4/3~4/8 리그레션, 4월 11일로. iPhone 12/14/15, PR #774"
    assert shift_dates(text, year=2025, days=10) == (
        "GA 2025-04-14, RC1 04-10; 출시 4/14, 4/13~4/18 리그레션, 4월 21일로. iPhone 12/14/15, PR #774"
    )


def test_demo_shift_makes_the_last_day_yesterday_and_keeps_threads_whole(tmp_path: Path) -> None:
    today = date(2030, 6, 15)
    days = demo_shift_days(today)
    shift_export(DEMO_DIR, tmp_path / "demo", days=days)
    day_files = sorted((tmp_path / "demo").glob("*/*.json"))
    assert max(date.fromisoformat(p.stem) for p in day_files) == today - timedelta(days=1)
    messages = [m for p in day_files for m in json.loads(p.read_text(encoding="utf-8"))]
    assert 300 <= len(messages) <= 600
    by_ts = {m["ts"] for m in messages}
    assert all(m["thread_ts"] in by_ts for m in messages if "thread_ts" in m)  # parents moved too
    original = json.loads((DEMO_DIR / "release-v2" / "2025-03-03.json").read_text(encoding="utf-8"))[0]
    moved_day = (date(2025, 3, 3) + timedelta(days=days)).isoformat()
    moved_file = tmp_path / "demo" / "release-v2" / f"{moved_day}.json"
    moved = json.loads(moved_file.read_text(encoding="utf-8"))[0]
    assert float(moved["ts"]) - float(original["ts"]) == days * 86400
    assert (date(2025, 4, 4) + timedelta(days=days)).isoformat() in moved["text"]  # "Target GA: 2025-04-04"


def test_demo_is_a_slack_export_with_korean_and_private_channels() -> None:
    channels = json.loads((DEMO_DIR / "channels.json").read_text(encoding="utf-8"))
    groups = json.loads((DEMO_DIR / "groups.json").read_text(encoding="utf-8"))
    assert {c["name"] for c in channels} >= {"release-v2", "design", "개발팀"}
    assert [g["name"] for g in groups] == ["leadership"]
    assert (DEMO_DIR / "개발팀").is_dir() and (DEMO_DIR / "leadership").is_dir()


def test_workspace_survives_a_save_and_load_and_loading_twice_adds_nothing(tmp_path: Path) -> None:
    first = SlackEmulator(team_id="T0SANDBOX", team_name="kiok-sandbox")
    populate_default(first)
    root = first.post_message("general", "U0SBALICE", "plan: ship on 2025-04-11")
    first.post_message("general", "U0SBBOB", "agreed", thread_ts=root)
    save_export(first, tmp_path / "ws")

    second = SlackEmulator(team_id="T0SANDBOX", team_name="kiok-sandbox")
    stats = load_export(second, tmp_path / "ws")
    assert (stats.users, stats.channels, stats.messages) == (3, 1, 2)
    assert [m["text"] for m in second.thread("general", root)] == ["plan: ship on 2025-04-11", "agreed"]
    assert second.bot_user_id in second.workspace.channel("general").members
    again = load_export(second, tmp_path / "ws")
    assert (again.users, again.channels, again.messages) == (0, 0, 0)
    later = second.post_message("general", "U0SBALICE", "new message after loading")
    assert float(later) > float(root)


def test_the_sandbox_never_touches_a_directory_it_did_not_make(tmp_path: Path) -> None:
    production = tmp_path / "kiok"
    with pytest.raises(SandboxError, match="Kiok's own data directory"):
        prepare_dir(production, production=production, fresh=True)
    mine = tmp_path / "yours"
    mine.mkdir()
    (mine / "kiok.db").write_text("precious")
    with pytest.raises(SandboxError, match="not a sandbox directory"):
        prepare_dir(mine, production=production, fresh=True)
    assert (mine / "kiok.db").read_text() == "precious"
    sandbox = tmp_path / "kiok" / "sandbox"
    prepare_dir(sandbox, production=production, fresh=False)
    (sandbox / "kiok.db").write_text("old")
    (sandbox / "notes.txt").write_text("mine")
    prepare_dir(sandbox, production=production, fresh=True)
    assert not (sandbox / "kiok.db").exists() and (sandbox / "notes.txt").exists()


def test_block_kit_renders_as_readable_text() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Daily digest"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "<@U1> decided in <#C1>: *ship*"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Owner*\nalice"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://x.test/p1|source>"}]},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open"}}]},
    ]
    text = blocks_text(blocks, names)
    assert "*Daily digest*" in text and "@alice decided in #design: *ship*" in text
    assert "Owner" in text and "─" * 10 in text and "source (https://x.test/p1)" in text
    assert "[Open]" in text
    assert mrkdwn(":warning: a &amp; b &lt;c&gt;", names) == "⚠️ a & b <c>"


def test_screen_extends_a_streamed_reply_in_place_and_starts_a_new_line_when_it_changes() -> None:
    out = io.StringIO()
    screen = Screen(out)
    ts = "1700000000.000100"
    screen.message("k", ts, "kiok: ", "⏳ Thinking…", live=True)
    screen.update("k", ts, "kiok: ", "The answer", live=True)
    screen.update("k", ts, "kiok: ", "The answer is 42", live=True)
    screen.update("k", ts, "kiok: ", "The answer is 42.", live=False)
    lines = out.getvalue().splitlines()
    assert lines[1:] == ["kiok: ⏳ Thinking…", "kiok: The answer is 42."]
    assert "\x1b" not in out.getvalue()  # no cursor movement: works on a dumb terminal


def test_console_helpers() -> None:
    assert parse_duration("3d") == (3 * 86400, "3 days")
    assert parse_duration("5h")[0] == 5 * 3600 and parse_duration("1w")[1] == "1 week"
    with pytest.raises(ValueError):
        parse_duration("soon")
    emu = SlackEmulator()
    alice = emu.add_user(name="alice")
    emu.add_channel("design")
    text = expand_mentions("@kiok ask @alice about #design (mail a@b.c, #nowhere)", emu.workspace.directory,
                           bot_name="kiok", bot_user_id=emu.bot_user_id)  # fmt: skip
    assert text.startswith(f"<@{emu.bot_user_id}> ask <@{alice}> about <#C")
    assert "a@b.c" in text and "#nowhere" in text
    assert find_digest_hook(object()) is None


def test_failure_notices_are_recognised_in_both_languages() -> None:
    assert is_error_reply(t("llm_down", "ko", detail="x"))
    assert is_error_reply("partial answer\n\n" + t("llm_timeout", "en", detail="x"))
    assert not is_error_reply("We ship on Friday.")


def test_gemma_prompt_folds_the_system_text_into_the_first_user_turn() -> None:
    turns = gemma_turns([ChatMessage("system", "Be brief."), ChatMessage("user", "Hi")])
    assert turns == [{"role": "user", "content": "Be brief.\n\nHi"}]
    assert fit_window(list(range(10)), 8, 2) == [0, 5, 6, 7, 8, 9]
    assert fit_window([1, 2, 3], 8, 2) == [1, 2, 3]


def test_feed_follows_streamed_edits_ephemerals_and_response_url_posts() -> None:
    with SlackEmulator(team_name="kiok-sandbox") as emu:
        populate_default(emu)
        client = WebClient(token=emu.bot_token, base_url=emu.api_url, timeout=5)
        out, transcript = io.StringIO(), Transcript()
        feed = Feed(emu, Screen(out), transcript, Refs())
        root = emu.post_message("general", "U0SBALICE", "when do we ship?")
        ts = client.chat_postMessage(channel="C0SBGENERAL", thread_ts=root, text=t("working", "en"))["ts"]
        client.chat_update(channel="C0SBGENERAL", ts=ts, text="We ship ▍")
        client.chat_update(channel="C0SBGENERAL", ts=ts, text="We ship on Friday.")
        client.chat_postEphemeral(channel="C0SBGENERAL", user="U0SBALICE", text="only you see this")
        url = emu.interactions.issue_response_url(channel_id="C0SBGENERAL", user_id="U0SBALICE")
        emu.interactions.respond(url.rsplit("/", 1)[-1], {"response_type": "in_channel", "text": "for all"})
        settled = feed.settle(
            expect=lambda: feed.replies_in("C0SBGENERAL", root, after=root), expect_timeout=5, timeout=10
        )
        assert settled.expected and not settled.timed_out
        replies = [e for e in transcript.entries if e["kind"] == "reply"]
        assert [(r["text"], r["edits"]) for r in replies] == [("We ship on Friday.", 2), ("for all", 0)]
        (ephemeral,) = [e for e in transcript.entries if e["kind"] == "ephemeral"]
        assert ephemeral["user"] == "alice" and ephemeral["text"] == "only you see this"
        screen = out.getvalue()
        assert (
            "kiok: We ship on Friday." in screen
            and "(only visible to alice) kiok: only you see this" in screen
        )
        assert transcript.ok

        client.chat_postMessage(channel="C0SBGENERAL", text=t("llm_down", "en", detail="no server"))
        feed.settle(timeout=5)
        assert not transcript.ok and transcript.errors[0]["kind"] == "reply"
