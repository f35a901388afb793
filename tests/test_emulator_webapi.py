"""The emulator's Web API face, driven by the real slack_sdk WebClient (and raw HTTP where shapes matter)."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from app.emulator import SlackEmulator

if TYPE_CHECKING:
    from tests.emulator_fixtures import Seed

pytest_plugins = ["tests.emulator_fixtures"]


def error_of(call: object) -> str:
    assert isinstance(call, SlackApiError)
    return str(call.response["error"])


def test_auth_test_reports_the_bot_identity_and_scopes(emu: SlackEmulator, client: WebClient) -> None:
    response = client.auth_test()
    assert response["user_id"] == emu.bot_user_id and response["bot_id"] == emu.bot_id
    assert response["team_id"] == "T0KIOK" and response["url"] == "https://kiok-test.slack.com/"
    assert "chat:write" in response.headers["x-oauth-scopes"]
    assert emu.calls("auth.test")[0].token == emu.bot_token


@pytest.mark.parametrize(
    ("token", "error"),
    [("xoxb-someone-else", "invalid_auth"), ("app", "not_allowed_token_type"), ("", "not_authed")],
)
def test_wrong_tokens_are_refused(emu: SlackEmulator, token: str, error: str) -> None:
    client = WebClient(token=emu.app_token if token == "app" else token or None, base_url=emu.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    assert error_of(caught.value) == error


def test_connections_open_needs_the_app_token(emu: SlackEmulator, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.apps_connections_open(app_token=emu.bot_token)
    assert error_of(caught.value) == "not_allowed_token_type"
    url = client.apps_connections_open(app_token=emu.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{emu.port}/link/?ticket=")


def test_get_with_query_and_json_body_are_both_accepted(emu: SlackEmulator, seed: Seed) -> None:
    query = urllib.parse.urlencode({"token": emu.bot_token, "channel": seed.general, "team_id": "T0KIOK"})
    with urllib.request.urlopen(f"{emu.api_url}conversations.info?{query}", timeout=5) as response:
        assert json.load(response)["channel"]["name"] == "general"
    request = urllib.request.Request(
        f"{emu.api_url}chat.postMessage",
        data=json.dumps({"channel": seed.general, "text": "hi", "team_id": "T0KIOK"}).encode(),
        headers={
            "Authorization": f"Bearer {emu.bot_token}",
            "Content-Type": "application/json; charset=utf-8",
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["ok"] is True
    assert emu.calls("chat.postMessage")[0].args == {
        "channel": seed.general,
        "text": "hi",
        "team_id": "T0KIOK",
    }


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.api_call("files.frobnicate")
    assert error_of(caught.value) == "unknown_method"


def test_bot_posts_are_stamped_with_the_bot_identity(
    emu: SlackEmulator, seed: Seed, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel=seed.general, text="hello", blocks=[{"type": "divider"}])
    message = emu.messages(seed.general)[-1]
    assert posted["ts"] == message["ts"] and posted["message"]["bot_id"] == emu.bot_id
    assert message["user"] == emu.bot_user_id and message["bot_id"] == emu.bot_id
    assert message["blocks"] == [{"type": "divider"}] and message["team"] == "T0KIOK"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_errors_follow_slack(emu: SlackEmulator, seed: Seed, client: WebClient) -> None:
    outside = emu.add_channel("outside", members=[seed.alice], bot_member=False)
    cases = {
        "channel_not_found": {"channel": "C404", "text": "x"},
        "not_in_channel": {"channel": outside, "text": "x"},
        "msg_too_long": {"channel": seed.general, "text": "x" * 40_001},
        "invalid_blocks": {"channel": seed.general, "blocks": [{"type": "divider"}] * 51},
        "no_text": {"channel": seed.general},
    }
    for error, args in cases.items():
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(**args)  # type: ignore[arg-type]
        assert error_of(caught.value) == error
    client.chat_postMessage(channel=seed.general, text="x" * 40_000, blocks=[{"type": "divider"}] * 50)


def test_update_and_delete_only_the_bots_own_messages(
    emu: SlackEmulator, seed: Seed, client: WebClient
) -> None:
    human = emu.post_message(seed.general, seed.alice, "mine")
    with pytest.raises(SlackApiError) as caught:
        client.chat_update(channel=seed.general, ts=human, text="hijacked")
    assert error_of(caught.value) == "cant_update_message"
    with pytest.raises(SlackApiError) as caught:
        client.chat_delete(channel=seed.general, ts=human)
    assert error_of(caught.value) == "cant_delete_message"
    ts = client.chat_postMessage(channel=seed.general, text="working…")["ts"]
    updated = client.chat_update(channel=seed.general, ts=ts, text="done")
    assert updated["message"]["text"] == "done" and updated["message"]["edited"]["user"] == emu.bot_user_id
    client.chat_delete(channel=seed.general, ts=ts)
    assert [m["text"] for m in emu.messages(seed.general)] == ["mine"]


def test_deleting_a_thread_parent_leaves_a_tombstone(emu: SlackEmulator, seed: Seed) -> None:
    root = emu.post_message(seed.general, seed.alice, "root")
    first = emu.post_message(seed.general, seed.bob, "first", thread_ts=root)
    emu.post_message(seed.general, seed.bob, "second", thread_ts=root)
    emu.delete_message(seed.general, first)
    emu.delete_message(seed.general, root)
    parent, *replies = emu.thread(seed.general, root)
    assert parent["subtype"] == "tombstone" and parent["reply_count"] == 1
    assert [r["text"] for r in replies] == ["second"]


def test_replies_paginate_with_cursors_over_several_pages(
    emu: SlackEmulator, seed: Seed, client: WebClient
) -> None:
    root = emu.post_message(seed.general, seed.alice, "root")
    replies = [emu.post_message(seed.general, seed.bob, f"reply {i}", thread_ts=root) for i in range(6)]
    pages, cursor = [], None
    while True:
        page = client.conversations_replies(channel=seed.general, ts=root, limit=2, cursor=cursor)
        pages.append([m["ts"] for m in page["messages"]])
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert len(pages) == 4
    assert [ts for page in pages for ts in page] == [root, *replies]
    parent = client.conversations_replies(channel=seed.general, ts=root, limit=1)["messages"][0]
    assert parent["reply_count"] == 6 and parent["latest_reply"] == replies[-1]
    assert parent["reply_users"] == [seed.bob]


def test_history_is_newest_first_top_level_with_window(
    emu: SlackEmulator, seed: Seed, client: WebClient
) -> None:
    first = emu.post_message(seed.general, seed.alice, "first")
    emu.post_message(seed.general, seed.bob, "hidden reply", thread_ts=first)
    broadcast = emu.post_message(seed.general, seed.bob, "loud reply", thread_ts=first, reply_broadcast=True)
    last = emu.post_message(seed.general, seed.alice, "last")
    history = client.conversations_history(channel=seed.general)
    assert [m["text"] for m in history["messages"]] == ["last", "loud reply", "first"]
    assert history["messages"][1]["subtype"] == "thread_broadcast"
    assert history["messages"][2]["reply_count"] == 2
    page = client.conversations_history(channel=seed.general, limit=2)
    rest = client.conversations_history(channel=seed.general, cursor=page["response_metadata"]["next_cursor"])
    assert [m["ts"] for m in page["messages"] + rest["messages"]] == [last, broadcast, first]
    windowed = client.conversations_history(channel=seed.general, oldest=first, latest=last)
    assert [m["text"] for m in windowed["messages"]] == ["loud reply"]
    inclusive = client.conversations_history(channel=seed.general, oldest=first, latest=last, inclusive=True)
    assert len(inclusive["messages"]) == 3


def test_permalinks_look_like_slacks(emu: SlackEmulator, seed: Seed, client: WebClient) -> None:
    root = emu.post_message(seed.general, seed.alice, "root")
    reply = emu.post_message(seed.general, seed.bob, "reply", thread_ts=root)
    base = f"https://kiok-test.slack.com/archives/{seed.general}"
    assert client.chat_getPermalink(channel=seed.general, message_ts=root)["permalink"] == (
        f"{base}/p{root.replace('.', '')}"
    )
    assert client.chat_getPermalink(channel=seed.general, message_ts=reply)["permalink"] == (
        f"{base}/p{reply.replace('.', '')}?thread_ts={root}&cid={seed.general}"
    )


def test_conversations_and_users_directory(emu: SlackEmulator, seed: Seed, client: WebClient) -> None:
    secret = emu.add_channel("secret", is_private=True, members=[seed.alice])
    hidden = emu.add_channel("hidden", is_private=True, members=[seed.bob], bot_member=False)
    dm = emu.open_dm(seed.alice)
    info = client.conversations_info(channel=secret)["channel"]
    assert info["is_private"] and info["is_group"] and info["is_member"] and info["num_members"] == 2
    assert client.conversations_info(channel=dm)["channel"]["user"] == seed.alice
    listed = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert {c["id"] for c in listed} == {seed.general, secret}
    assert hidden not in {c["id"] for c in listed}
    members = client.conversations_members(channel=seed.general, limit=1)
    second = client.conversations_members(
        channel=seed.general, cursor=members["response_metadata"]["next_cursor"]
    )
    assert members["members"] + second["members"] == [seed.alice, seed.bob, emu.bot_user_id]
    user = client.users_info(user=seed.alice, include_locale=True)["user"]
    assert user["real_name"] == "Alice Kim" and user["profile"]["display_name"] == ""
    assert user["tz"] == "Asia/Seoul" and user["tz_offset"] == 9 * 3600 and user["locale"] == "ko-KR"
    assert "locale" not in client.users_info(user=seed.bob)["user"]
    carol = emu.add_user(name="carol", display_name="Caz")
    assert client.users_info(user=carol)["user"]["profile"]["display_name"] == "Caz"
    assert {m["id"] for m in client.users_list()["members"]} == {seed.alice, seed.bob, carol, emu.bot_user_id}
    assert client.team_info()["team"]["domain"] == "kiok-test"
    assert client.bots_info(bot=emu.bot_id)["bot"]["user_id"] == emu.bot_user_id


def test_join_reactions_ephemerals_and_home(emu: SlackEmulator, seed: Seed, client: WebClient) -> None:
    lobby = emu.add_channel("lobby", members=[seed.alice], bot_member=False)
    with pytest.raises(SlackApiError):
        client.conversations_history(channel=lobby)
    assert client.conversations_join(channel=lobby)["channel"]["is_member"] is True
    ts = emu.post_message(lobby, seed.alice, "react to me")
    client.reactions_add(channel=lobby, timestamp=ts, name="eyes")
    with pytest.raises(SlackApiError) as caught:
        client.reactions_add(channel=lobby, timestamp=ts, name="eyes")
    assert error_of(caught.value) == "already_reacted"
    assert emu.messages(lobby)[-1]["reactions"] == [{"name": "eyes", "users": [emu.bot_user_id], "count": 1}]
    client.reactions_remove(channel=lobby, timestamp=ts, name="eyes")
    assert "reactions" not in emu.messages(lobby)[-1]
    client.chat_postEphemeral(channel=lobby, user=seed.alice, text="only you")
    assert [e["text"] for e in emu.ephemerals(lobby, seed.alice)] == ["only you"]
    client.views_publish(user_id=seed.bob, view={"type": "home", "blocks": [{"type": "divider"}]})
    home = emu.views(seed.bob)
    assert home is not None and home["type"] == "home" and emu.views(seed.alice) is None


def test_rate_limit_surfaces_as_429_then_the_retry_handler_succeeds(
    emu: SlackEmulator, seed: Seed, client: WebClient
) -> None:
    emu.faults.rate_limit("chat.postMessage", times=1, retry_after=0)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=seed.general, text="too fast")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "0"
    assert error_of(caught.value) == "ratelimited"
    assert emu.messages(seed.general) == []

    emu.faults.rate_limit("chat.postMessage", times=1, retry_after=0)
    patient = WebClient(
        token=emu.bot_token,
        base_url=emu.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert patient.chat_postMessage(channel=seed.general, text="eventually")["ok"]
    assert [c.status for c in emu.calls("chat.postMessage")] == [429, 429, 200]


def test_failures_and_delays(emu: SlackEmulator, seed: Seed, client: WebClient) -> None:
    emu.faults.fail("conversations.info", error="fatal_error", status=500)
    with pytest.raises(SlackApiError) as caught:
        client.conversations_info(channel=seed.general)
    assert caught.value.response.status_code == 500 and error_of(caught.value) == "fatal_error"
    assert client.conversations_info(channel=seed.general)["ok"]
    emu.faults.delay("users.info", 0.3, times=1)
    started = time.monotonic()
    client.users_info(user=seed.alice)
    assert time.monotonic() - started >= 0.3


def test_clock_advance_moves_timestamps(emu: SlackEmulator, seed: Seed) -> None:
    before = float(emu.post_message(seed.general, seed.alice, "monday"))
    emu.advance(3 * 86_400)
    after = float(emu.post_message(seed.general, seed.alice, "thursday"))
    assert after - before >= 3 * 86_400
