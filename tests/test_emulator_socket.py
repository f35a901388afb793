"""Socket Mode end to end: the real Bolt App and builtin SocketModeHandler against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from slack_bolt import Ack, BoltRequest, Say
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient

from app.emulator import SlackEmulator

if TYPE_CHECKING:
    from tests.emulator_fixtures import BoltRig, Seed

pytest_plugins = ["tests.emulator_fixtures"]


def listen_to_messages(rig: BoltRig) -> None:
    @rig.app.event("message")
    def on_message(event: dict[str, Any], request: BoltRequest) -> None:
        rig.record("message", event, dict(request.headers))


def test_mention_reaches_both_listeners_and_the_reply_lands_in_the_thread(
    emu: SlackEmulator, seed: Seed, bolt: BoltRig
) -> None:
    listen_to_messages(bolt)

    @bolt.app.event("app_mention")
    def on_mention(event: dict[str, Any], say: Say) -> None:
        bolt.record("app_mention", event, {})
        say(text="on it", thread_ts=event["ts"])

    bolt.connect()
    ts = emu.post_message(seed.general, seed.alice, f"<@{emu.bot_user_id}> summarize please")
    thread = emu.wait_for(lambda: emu.thread(seed.general, ts)[1:])
    assert thread[0]["text"] == "on it" and thread[0]["bot_id"] == emu.bot_id
    assert thread[0]["user"] == emu.bot_user_id and thread[0]["thread_ts"] == ts
    assert [e["ts"] for e in bolt.kinds("app_mention")] == [ts]
    assert [e["ts"] for e in bolt.kinds("message")] == [ts]

    emu.wait_for(lambda: len(emu.envelopes()) >= 3)  # message + app_mention + the echo of the bot's reply
    sent = emu.envelopes()
    assert len({e["payload"]["event_id"] for e in sent}) == len(sent) == 3
    echo = [e for e in sent if e["payload"]["event"].get("bot_id") == emu.bot_id]
    assert [e["payload"]["event"]["text"] for e in echo] == ["on it"]
    emu.wait_for(lambda: emu.event_acked(echo[0]["payload"]["event_id"]))  # acked, though ignored as self
    assert [e["ts"] for e in bolt.kinds("message")] == [ts]


def test_a_retried_event_reaches_the_app_each_time_with_retry_headers(
    emu: SlackEmulator, seed: Seed, bolt: BoltRig
) -> None:
    listen_to_messages(bolt)
    bolt.connect()
    ts = emu.post_message(seed.general, seed.alice, "once", deliver=False)
    event = {"type": "message", "channel": seed.general, "user": seed.alice, "text": "once", "ts": ts}
    event_id = emu.deliver_event(event, times=3)
    emu.wait_for(lambda: len(bolt.kinds("message")) == 3)
    headers = [h for _kind, _event, h in bolt.seen]
    assert sorted(h["x-slack-retry-num"][0] for h in headers) == ["0", "1", "2"]
    assert sorted(h.get("x-slack-retry-reason", [""])[0] for h in headers) == ["", "timeout", "timeout"]
    assert {e["payload"]["event_id"] for e in emu.envelopes()} == {event_id}
    emu.wait_for(lambda: len(emu.acks()) == 3)


def test_an_unacked_event_is_redelivered_as_a_retry(emu: SlackEmulator, seed: Seed, bolt: BoltRig) -> None:
    emu.ack_timeout = 0.5
    listen_to_messages(bolt)
    bolt.connect()
    emu.faults.ignore_acks(1)
    emu.post_message(seed.general, seed.alice, "are you there?")
    emu.wait_for(lambda: len(bolt.kinds("message")) == 2)
    assert [e["retry_attempt"] for e in emu.envelopes()] == [0, 1]
    event_id = emu.envelopes()[0]["payload"]["event_id"]
    emu.wait_for(lambda: emu.event_acked(event_id))  # its ack frame may land just after the listener ran


def test_slash_command_ack_payload_comes_back(emu: SlackEmulator, seed: Seed, bolt: BoltRig) -> None:
    @bolt.app.command("/kiok")
    def on_command(ack: Ack, command: dict[str, Any]) -> None:
        ack(text=f"you said {command['text']}")

    bolt.connect()
    response = emu.send_slash_command("/kiok", "help", user=seed.alice, channel=seed.general)
    assert response.wait(5) == {"text": "you said help"}
    envelope = emu.envelopes()[0]
    assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
    assert envelope["payload"]["user_id"] == seed.alice and envelope["payload"]["channel_name"] == "general"
    shown = emu.wait_for(lambda: emu.ephemerals(seed.general, seed.alice))
    assert shown[0]["text"] == "you said help"


def test_interactive_ack_and_missing_ack(emu: SlackEmulator, seed: Seed, bolt: BoltRig) -> None:
    @bolt.app.action("approve")
    def on_approve(ack: Ack, client: WebClient, body: dict[str, Any]) -> None:
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view={"type": "modal", "title": {"type": "plain_text", "text": "Hi"}},
        )

    bolt.connect()
    ts = emu.post_message(seed.general, seed.alice, "please approve", deliver=False)
    click: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": seed.bob, "username": "bob", "team_id": emu.team_id},
        "channel": {"id": seed.general, "name": "general"},
        "container": {"type": "message", "message_ts": ts, "channel_id": seed.general, "is_ephemeral": False},
        "actions": [
            {"action_id": "approve", "block_id": "b1", "type": "button", "value": "yes", "action_ts": ts}
        ],
    }
    assert emu.send_interactive(click).wait(5) is None
    modal = emu.wait_for(lambda: emu.modals(seed.bob))
    assert modal[0]["view"]["type"] == "modal"
    unhandled = emu.send_interactive({**click, "actions": [{**click["actions"][0], "action_id": "nobody"}]})
    with pytest.raises(TimeoutError, match="no ack"):
        unhandled.wait(0.5)


def test_dropped_sockets_reconnect_and_events_still_arrive(
    emu: SlackEmulator, seed: Seed, bolt: BoltRig
) -> None:
    listen_to_messages(bolt)
    # slack_sdk's builtin client ignores the close frame (it still thinks it is connected when its close
    # listener runs) and reconnects from its monitor, every ping_interval (Bolt's default: 10 s).
    bolt.connect(ping_interval=0.1)
    emu.drop_sockets()
    emu.wait_for(lambda: len(emu.calls("apps.connections.open")) == 2)
    emu.wait_connected()
    ts = emu.post_message(seed.general, seed.alice, "after the drop")
    emu.wait_for(lambda: [e for e in bolt.kinds("message") if e["ts"] == ts])


def test_abruptly_cut_sockets_are_noticed_and_replaced(emu: SlackEmulator, seed: Seed, bolt: BoltRig) -> None:
    listen_to_messages(bolt)
    bolt.connect(ping_interval=0.1)
    emu.drop_sockets(abrupt=True)
    emu.wait_for(lambda: len(emu.calls("apps.connections.open")) == 2)
    emu.wait_connected()
    ts = emu.post_message(seed.general, seed.alice, "after the cut")
    emu.wait_for(lambda: [e for e in bolt.kinds("message") if e["ts"] == ts])


def test_refresh_request_makes_the_client_open_a_new_connection(
    emu: SlackEmulator, seed: Seed, bolt: BoltRig
) -> None:
    listen_to_messages(bolt)
    bolt.connect()
    emu.request_refresh()
    emu.wait_for(lambda: len(emu.calls("apps.connections.open")) == 2)
    emu.wait_for(lambda: emu.connections == 1)  # the client closed the old socket itself
    ts = emu.post_message(seed.general, seed.alice, "after the refresh")
    emu.wait_for(lambda: [e for e in bolt.kinds("message") if e["ts"] == ts])


def test_events_while_disconnected_are_queued_and_delivered_as_retries(
    emu: SlackEmulator, seed: Seed, bolt: BoltRig
) -> None:
    listen_to_messages(bolt)
    bolt.connect()
    bolt.close()
    emu.wait_for(lambda: emu.connections == 0)
    ts = emu.post_message(seed.general, seed.alice, "while you were away")
    assert emu.envelopes() == []
    bolt.connect()
    event = emu.wait_for(lambda: bolt.kinds("message"))[0]
    assert event["ts"] == ts
    assert bolt.seen[0][2]["x-slack-retry-num"] == ["1"]


def test_hello_and_one_envelope_per_event_across_connections(emu: SlackEmulator, seed: Seed) -> None:
    received: list[tuple[int, dict[str, Any]]] = []
    clients: list[SocketModeClient] = []

    def recorder(number: int) -> Callable[[BaseSocketModeClient, dict[str, Any], str | None], None]:
        return lambda _client, message, _raw: received.append((number, message))

    for number in range(2):
        client = SocketModeClient(
            app_token=emu.app_token, web_client=WebClient(base_url=emu.api_url), auto_reconnect_enabled=False
        )
        client.message_listeners.append(recorder(number))
        client.connect()
        clients.append(client)
        emu.wait_connected(count=number + 1)

    def of_type(kind: str) -> list[tuple[int, dict[str, Any]]]:
        return [(n, m) for n, m in list(received) if m.get("type") == kind]

    try:
        hello = emu.wait_for(lambda: of_type("hello")[1:])[0][1]
        assert hello["num_connections"] == 2 and hello["connection_info"]["app_id"] == emu.app_id
        assert hello["debug_info"]["approximate_connection_time"] > 0
        for i in range(4):
            emu.post_message(seed.general, seed.alice, f"event {i}")
        emu.wait_for(lambda: len(of_type("events_api")) >= 4)
        events = of_type("events_api")
        assert len(events) == 4 and len({m["envelope_id"] for _n, m in events}) == 4
        assert {n for n, _m in events} == {0, 1}  # spread over both, each envelope to exactly one
        assert all(m["retry_attempt"] == 0 and m["retry_reason"] == "" for _n, m in events)
    finally:
        for client in clients:
            client.close()


def test_human_edits_deletes_joins_and_reactions_are_delivered(
    emu: SlackEmulator, seed: Seed, bolt: BoltRig
) -> None:
    @bolt.app.event({"type": "message", "subtype": ("message_changed", "message_deleted", "channel_join")})
    def on_change(event: dict[str, Any]) -> None:
        bolt.record(event["subtype"], event, {})

    @bolt.app.event("member_joined_channel")
    def on_join(event: dict[str, Any]) -> None:
        bolt.record("member_joined_channel", event, {})

    @bolt.app.event("reaction_added")
    def on_reaction(event: dict[str, Any]) -> None:
        bolt.record("reaction_added", event, {})

    listen_to_messages(bolt)
    bolt.connect()
    carol = emu.add_user(name="carol")
    emu.join(seed.general, carol)
    ts = emu.post_message(seed.general, carol, "typo")
    emu.edit_message(seed.general, ts, "fixed")
    emu.add_reaction(seed.general, ts, seed.bob, "thumbsup")
    emu.delete_message(seed.general, ts)
    emu.wait_for(lambda: bolt.kinds("message_deleted"))
    assert bolt.kinds("member_joined_channel")[0]["user"] == carol
    assert bolt.kinds("channel_join")[0]["user"] == carol
    changed = bolt.kinds("message_changed")[0]
    assert changed["message"]["text"] == "fixed" and changed["previous_message"]["text"] == "typo"
    assert bolt.kinds("reaction_added")[0]["reaction"] == "thumbsup"
    assert bolt.kinds("message_deleted")[0]["deleted_ts"] == ts
    assert emu.messages(seed.general)[-1]["subtype"] == "channel_join"
