"""Malformed Slack exports through `kiok import` (app/importer) into the real memory service, SQLite and
PostgreSQL: truncated zips, wrong JSON types, path traversal names, zip bombs, deep nesting, odd text.
The import reports what it skipped and why, never crashes, writes nothing outside the database, and a
file it reports as skipped leaves no row behind. More examples with KIOK_SOAK=1."""

import io
import json
import os
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.importer import export as export_module
from app.importer.export import ImportSummary, import_export
from app.importer.source import MAX_FILE_BYTES, NotAnExport
from memory.errors import StoreError
from memory.service import MemoryService

SOAK = bool(os.environ.get("KIOK_SOAK"))
EXAMPLES = 600 if SOAK else 50
USERS = [{"id": "U1", "team_id": "TIMP", "name": "minsu", "profile": {"display_name": "민수"}}]
CHANNELS = [{"id": "C1", "name": "release"}, {"id": "C2", "name": "ops"}]

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.just("x" * 300),
    st.just("a\x00\ud800b"), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.none()),
)  # fmt: skip
BROKEN = st.sampled_from([b"", b"[{not json", b"\xff\xfe\x00", b"[" * 100_000, b'{"a": 1}', b"null", b"42"])


def day_messages(marker: str) -> st.SearchStrategy[list[Any]]:
    good = st.integers(1_600_000_000, 1_800_000_000).map(
        lambda s: {"type": "message", "user": "U1", "text": f"{marker} note {s}", "ts": f"{s}.000100"}
    )
    odd = st.fixed_dictionaries(
        {"text": st.just(f"{marker} odd")},
        optional={"ts": st.one_of(JUNK, st.just("1700000000.5")), "user": JUNK, "files": JUNK, "edited": JUNK,
                  "thread_ts": JUNK, "subtype": JUNK},
    )  # fmt: skip
    return st.lists(st.one_of(good, odd, JUNK), max_size=6)


@st.composite
def exports(draw: st.DrawFn) -> tuple[dict[str, bytes], dict[str, str]]:
    """(files by name, marker of each day file): every day file's messages carry its own marker."""
    files: dict[str, bytes] = {}
    for name, good in (("users.json", USERS), ("channels.json", CHANNELS), ("groups.json", [])):
        choice = draw(st.sampled_from(["good", "good", "junk", "broken", "absent"]))
        if choice == "good":
            files[name] = json.dumps(good).encode()
        elif choice == "junk":
            files[name] = json.dumps(draw(st.one_of(JUNK, st.lists(JUNK, max_size=3)))).encode()
        elif choice == "broken":
            files[name] = draw(BROKEN)
    markers: dict[str, str] = {}
    for n in range(draw(st.integers(0, 4))):
        folder = draw(st.sampled_from(["release", "ops", "nowhere", "../..", "/abs"]))
        name = f"{folder}/2025-11-{20 + n}.json"
        marker = f"M{uuid.uuid4().hex[:12]}"
        markers[name] = marker
        if draw(st.booleans()):
            files[name] = json.dumps(draw(day_messages(marker)), ensure_ascii=draw(st.booleans())).encode(
                "utf-8", "surrogatepass"
            )
        else:
            files[name] = draw(BROKEN)
    if draw(st.booleans()):
        files["../../etc/kiok-escape.json"] = b"[]"
    return files, markers


def write(files: dict[str, bytes], where: Path, *, as_zip: bool, cut: int | None) -> Path:
    if not as_zip:
        root = where / "export"
        for name, data in files.items():
            if ".." in name or name.startswith("/"):
                continue  # a directory cannot hold such names; the zip case covers them
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        root.mkdir(exist_ok=True)
        return root
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    data = buffer.getvalue()
    path = where / "export.zip"
    path.write_bytes(data[: max(0, len(data) - cut)] if cut else data)
    return path


def rows_with(memory: MemoryService, marker: str) -> int:
    with memory.store.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT COUNT(*) FROM messages WHERE text LIKE :m"), {"m": f"%{marker}%"}
            ).scalar()
            or 0
        )


def check(summary: ImportSummary, memory: MemoryService, markers: dict[str, str]) -> None:
    skipped = {name for name, _ in summary.skipped}
    for name, marker in markers.items():
        if name in skipped or ".." in name or name.startswith("/"):
            assert rows_with(memory, marker) == 0, (name, summary.skipped)
    for _name, reason in summary.skipped + summary.ignored:
        assert reason and "Traceback" not in reason


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(export=exports(), as_zip=st.booleans(), cut=st.one_of(st.none(), st.integers(1, 400)))
def test_malformed_exports_are_reported_never_half_written(
    memory: MemoryService,
    tmp_path_factory: pytest.TempPathFactory,
    export: Any,
    as_zip: bool,
    cut: int | None,
) -> None:
    files, markers = export
    where = tmp_path_factory.mktemp("export")
    escape = (where / "../../etc/kiok-escape.json").resolve()
    path = write(files, where, as_zip=as_zip, cut=cut)
    before = sorted(p.relative_to(where) for p in where.rglob("*"))
    try:
        summary = import_export(path, memory)
    except NotAnExport as exc:
        assert str(path) in str(exc)  # says which file is not an export
        for marker in markers.values():
            assert rows_with(memory, marker) == 0
    else:
        check(summary, memory, markers)
    assert sorted(p.relative_to(where) for p in where.rglob("*")) == before  # nothing written next to it
    assert not escape.exists()


def test_zip_bomb_and_deep_nesting_are_skipped_with_reasons(memory: MemoryService, tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("users.json", json.dumps(USERS))
        zf.writestr("channels.json", json.dumps(CHANNELS))
        with zf.open("release/2025-11-20.json", "w", force_zip64=True) as bomb:  # ~257 MiB of spaces
            chunk = b" " * (1 << 20)
            for _ in range(MAX_FILE_BYTES // len(chunk) + 1):
                bomb.write(chunk)
        zf.writestr("release/2025-11-21.json", "[" * 200_000)
        zf.writestr("release/2025-11-22.json", json.dumps([{"user": "U1", "text": "kept", "ts": "1.000001"}]))
    assert path.stat().st_size < 2 * 2**20  # small on disk
    summary = import_export(path, memory)
    reasons = dict(summary.skipped)
    assert "larger than 256 MiB" in reasons["release/2025-11-20.json"]
    assert "nested too deeply" in reasons["release/2025-11-21.json"]
    assert summary.messages == 1 and memory.store.get_message(summary.team_id, "C1", "1.000001")


def test_truncated_zip_and_wrong_types_say_what_is_wrong(memory: MemoryService, tmp_path: Path) -> None:
    path = tmp_path / "cut.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("users.json", json.dumps(USERS))
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(NotAnExport, match="not a readable zip file"):
        import_export(path, memory)
    root = tmp_path / "types"
    (root / "release").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps({"users": USERS}))
    (root / "channels.json").write_text(json.dumps([*CHANNELS, {"id": "C" + "X" * 40}, {"id": 7}, "C3"]))
    (root / "release" / "2025-11-20.json").write_text(json.dumps({"messages": []}))
    (root / "release" / "2025-11-21.json").write_text(
        json.dumps([{"user": "U1", "text": "ok", "ts": "1700000000.000001"}, {"text": "no ts"}, 5])
    )
    summary = import_export(root, memory)
    reasons = dict(summary.skipped)
    assert reasons["users.json"] == "expected a JSON list, found dict"
    assert reasons["channels.json"] == "3 entries without an id ignored"
    assert reasons["release/2025-11-20.json"] == "expected a JSON list, found dict"
    assert dict(summary.ignored)["release/2025-11-21.json"] == "2 entries without a usable ts ignored"
    assert summary.messages == 1


class FailingMemory(MemoryService):
    """The real memory service, except that storing a batch holding `poison` fails as a database would."""

    poison = "POISON"

    def ingest(self, records: Any) -> int:
        records = list(records)
        if any(self.poison in r.text for r in records):
            raise StoreError("the database refused the batch")
        return super().ingest(records)


def test_a_file_that_cannot_be_stored_is_skipped_whole(memory: MemoryService, tmp_path: Path) -> None:
    failing = FailingMemory.__new__(FailingMemory)
    failing.__dict__.update(memory.__dict__)
    root = tmp_path / "export"
    (root / "release").mkdir(parents=True)
    (root / "channels.json").write_text(json.dumps(CHANNELS))
    days = {
        "2025-11-20.json": ["good one", "good two"],
        "2025-11-21.json": ["fine", "POISON here", "also fine"],
        "2025-11-22.json": ["good three"],
    }
    for n, (day, texts) in enumerate(days.items()):
        msgs = [{"user": "U1", "text": t, "ts": f"17000000{n}{i}.000001"} for i, t in enumerate(texts)]
        (root / "release" / day).write_text(json.dumps(msgs))
    summary = import_export(root, failing)
    assert dict(summary.skipped) == {"release/2025-11-21.json": "could not be stored (StoreError)"}
    assert summary.messages == 3 and memory.store.count_messages(summary.team_id, "C1") == 3
    assert rows_with(memory, "fine") == 0  # nothing of the skipped file, not even its good messages
    assert export_module.BATCH >= 3  # the three files went in one batch, and only the bad one was dropped


def test_redact_existing_cleans_messages_stored_before_redaction(memory: MemoryService) -> None:
    """Messages imported or stored before redaction shipped: `kiok redact-existing` (app/cli_admin.py)
    redacts them in SQL and queues them for re-indexing, so recall stops returning the secret."""
    from app.cli_admin import redact_stored
    from memory.records import MessageRecord
    from memory.retrieval import RecallQuery

    token = "xoxb-1234567890-0987654321-abcdefghijklmnopqrstuvwx"
    old = [
        MessageRecord("TOLD", "C1", "1700000000.000001", f"the deploy bot token is {token}", "U1"),
        MessageRecord("TOLD", "C1", "1700000000.000002", "the deploy happens on Friday", "U1"),
    ]
    memory.store.upsert_messages(old)  # straight into SQL, as before redaction existed
    memory.indexer.index_pending()
    hits = memory.recall(RecallQuery("TOLD", "C1", "deploy bot token"))
    assert any(token in h.text for h in hits)

    scanned, kinds = redact_stored(memory, team_id="TOLD", dry_run=True)
    assert scanned == 2 and sum(kinds.values()) == 1 and memory.store.count_pending_index(team_id="TOLD") == 0
    scanned, kinds = redact_stored(memory, team_id="TOLD")
    stored = memory.store.get_message("TOLD", "C1", "1700000000.000001")
    assert stored is not None and token not in stored.text and "[redacted" in stored.text
    assert memory.store.count_pending_index(team_id="TOLD") == 1  # only the changed message
    memory.indexer.index_pending()
    hits = memory.recall(RecallQuery("TOLD", "C1", "deploy bot token"))
    assert hits and not any(token in h.text for h in hits)
    assert redact_stored(memory, team_id="TOLD")[1].total() == 0  # idempotent
