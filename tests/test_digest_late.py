"""Summaries are made after the fact (batches), so a digest shows what was *recorded* since the previous one:
an item or a change recorded after its digest went out is in the next digest, once (real Bot, emulator)."""

import pytest

from memory.summaries import EpisodeRecord, ItemChange, SummaryStore
from tests.test_digest_e2e import Kiok, item, kiok, plant, section_texts

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e"]
__all__ = ["kiok"]  # the fixture, imported so pytest finds it here


def test_an_item_summarized_after_its_digest_went_out_is_in_the_next_one(kiok: Kiok) -> None:
    """Batches summarize after the fact: Monday's decision may be recorded after Tuesday's digest. It is then
    shown in the next digest, never skipped, and only once."""
    emu, client = kiok.emu, kiok.bot.client
    alice = emu.add_user(name="alice")
    channel = emu.add_channel("release", members=[alice])
    avro = emu.post_message(channel, alice, "Decision: billing uses Avro for serialization.")
    kiok.wait_stored(channel, 1)
    kiok.digests.post_now(client, kiok.team, channel)
    assert "Avro" not in section_texts(kiok.digests_in(channel)[-1])  # not summarized yet

    emu.advance(120)
    emu.post_message(channel, alice, "Lunch?")
    kiok.wait_stored(channel, 2)
    plant(kiok, channel, "day-1", [item(kiok, channel, "decision", "Billing uses Avro", avro)])  # late
    kiok.digests.post_now(client, kiok.team, channel)
    assert "• Billing uses Avro" in section_texts(kiok.digests_in(channel)[-1])

    emu.advance(120)
    kiok.digests.post_now(client, kiok.team, channel)
    assert "Avro" not in section_texts(kiok.digests_in(channel)[-1])  # shown once


def test_a_task_marked_done_after_its_digest_went_out_is_in_the_next_one(kiok: Kiok) -> None:
    emu, client = kiok.emu, kiok.bot.client
    alice = emu.add_user(name="alice")
    channel = emu.add_channel("release", members=[alice])
    asked = emu.post_message(channel, alice, "Carol writes the release notes.")
    kiok.wait_stored(channel, 1)
    plant(
        kiok,
        channel,
        "day-1",
        [item(kiok, channel, "action_item", "Write release notes", asked, owner="Carol")],
    )
    kiok.digests.post_now(client, kiok.team, channel)
    assert "• Write release notes" in section_texts(kiok.digests_in(channel)[-1])

    emu.advance(120)
    done = emu.post_message(channel, alice, "Release notes are done.")
    kiok.wait_stored(channel, 2)
    kiok.digests.post_now(client, kiok.team, channel)  # before the batch that reads "done" ran
    assert "done" not in section_texts(kiok.digests_in(channel)[-1])

    emu.advance(120)
    (task,) = kiok.digests.summaries.items(kiok.team, channel, kinds=["action_item"])
    episode = EpisodeRecord(kiok.team, channel, "day", "day-2", done, done, "Notes done.")
    change = ItemChange(task.id, status="done", extra={"at": done})
    SummaryStore(kiok.bot.services.store.engine).save_summary(episode, [], [change])  # recorded late
    kiok.digests.post_now(client, kiok.team, channel)
    assert "~Write release notes~" in section_texts(kiok.digests_in(channel)[-1])
    emu.advance(120)
    kiok.digests.post_now(client, kiok.team, channel)
    assert "Write release notes" not in section_texts(kiok.digests_in(channel)[-1])  # shown once
