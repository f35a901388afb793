"""The SQL store on SQLite and PostgreSQL: migrations, idempotent writes, edits, deletions, dedupe."""

from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from memory.db import current_revision, head_revision, require_current, upgrade
from memory.directory import DirectoryStore
from memory.models import Base
from memory.records import ChannelRecord, MessageRecord, UserRecord
from memory.store import MessageStore


def msg(ts: str, text: str = "hello", thread_ts: str | None = None, **kw: object) -> MessageRecord:
    return MessageRecord(
        team_id="T1", channel_id="C1", ts=ts, text=text, user_id="U1", thread_ts=thread_ts, **kw
    )  # type: ignore[arg-type]


def test_migrations_reach_head_and_match_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    require_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    before, after = upgrade(engine)
    assert before == after == head_revision()


def test_messages_are_idempotent_on_team_channel_ts(store: MessageStore) -> None:
    assert store.upsert_messages([msg("1.000001"), msg("1.000002")]) == 2
    assert store.upsert_messages([msg("1.000001"), msg("1.000002")]) == 0
    assert store.count_messages("T1", "C1") == 2
    other_channel = MessageRecord(team_id="T1", channel_id="C2", ts="1.000001", text="same ts elsewhere")
    assert store.upsert_messages([other_channel]) == 1
    assert store.count_messages("T1") == 3


def test_edit_updates_text_and_marks_it(store: MessageStore) -> None:
    store.upsert_messages([msg("1.000001", "first draft")])
    assert store.upsert_messages([msg("1.000001", "fixed", edited_ts="2.0")]) == 1
    stored = store.get_message("T1", "C1", "1.000001")
    assert stored is not None
    assert (stored.text, stored.edited_ts) == ("fixed", "2.0")


def test_delete_erases_text_and_a_late_retry_does_not_resurrect_it(store: MessageStore) -> None:
    store.upsert_messages([msg("1.000001", "secret plan")])
    assert store.mark_deleted("T1", "C1", "1.000001") is True
    store.upsert_messages([msg("1.000001", "secret plan")])  # Slack redelivers the original event
    stored = store.get_message("T1", "C1", "1.000001")
    assert stored is not None and stored.deleted and stored.text == ""
    assert store.count_messages("T1", "C1") == 0


def test_delete_before_the_message_arrives_still_wins(store: MessageStore) -> None:
    assert store.mark_deleted("T1", "C1", "5.000001") is False
    store.upsert_messages([msg("5.000001", "arrived late")])
    stored = store.get_message("T1", "C1", "5.000001")
    assert stored is not None and stored.deleted


def test_thread_returns_opening_then_replies_in_time_order(store: MessageStore) -> None:
    store.upsert_messages(
        [
            msg("10.000003", "third", thread_ts="10.000001"),
            msg("10.000001", "opening", thread_ts="10.000001"),
            msg("9.000000", "unrelated"),
            msg("10.000002", "second", thread_ts="10.000001"),
            msg("100.0", "much later", thread_ts="10.000001"),
        ]
    )
    assert [m.text for m in store.thread("T1", "C1", "10.000001")] == [
        "opening",
        "second",
        "third",
        "much later",
    ]


def test_claim_event_is_true_once(store: MessageStore) -> None:
    assert store.claim_event("Ev1", "app_mention") is True
    assert store.claim_event("Ev1", "app_mention") is False
    assert store.claim_event("Ev2") is True
    assert store.forget_events_before(datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert store.claim_event("Ev1") is True


def test_users_and_channels_round_trip(engine: Engine) -> None:
    store = DirectoryStore(engine)
    store.upsert_workspace("T1", "acme")
    store.upsert_channel(ChannelRecord("T1", "G1", "secret-project", "group", True))
    assert store.get_channel("T1", "G1") == ChannelRecord("T1", "G1", "secret-project", "group", True)
    store.upsert_user(UserRecord("T1", "U1", "minsu", "김민수", "민수", locale="ko-KR", tz="Asia/Seoul"))
    user = store.get_user("T1", "U1")
    assert user is not None and user.label == "민수" and user.locale == "ko-KR"
    assert store.get_user("T1", "U1", max_age_s=-1) is None  # stale: the caller refreshes it
    assert store.get_user("T1", "nobody") is None
