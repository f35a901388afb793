"""`kiok import` of a Slack export written here, then `kiok recall --json` as a script would use it."""

import json
import zipfile
from pathlib import Path

import pytest

from tests.test_cli import kiok

USERS = [
    {
        "id": "U1",
        "team_id": "TEXP",
        "name": "minsu",
        "real_name": "Kim Min-su",
        "profile": {"display_name": "민수"},
    },
    {"id": "U2", "team_id": "TEXP", "name": "alice", "real_name": "Alice Park", "profile": {}},
]
CHANNELS = [{"id": "C1", "name": "release", "members": ["U1", "U2"]}]
GROUPS = [{"id": "G1", "name": "secret-deal", "members": ["U1"]}]


def write_export(root: Path) -> None:
    (root / "release").mkdir(parents=True)
    (root / "secret-deal").mkdir()
    (root / "users.json").write_text(json.dumps(USERS))
    (root / "channels.json").write_text(json.dumps(CHANNELS))
    (root / "groups.json").write_text(json.dumps(GROUPS))
    day1 = [
        {
            "type": "message",
            "user": "U1",
            "text": "Release train for v2.3: who owns the migration?",
            "ts": "1763600000.000100",
            "thread_ts": "1763600000.000100",
            "reply_count": 2,
        },
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U2",
            "text": "<@U2> has joined",
            "ts": "1763600001.0",
        },
        {
            "type": "message",
            "user": "U2",
            "text": "Alice owns the DB migration, ticket OPS-77",
            "ts": "1763600100.000200",
            "thread_ts": "1763600000.000100",
            "edited": {"user": "U2", "ts": "1763600200.0"},
        },
    ]
    day2 = [  # a reply sits in the day file of its own ts
        {
            "type": "message",
            "user": "U1",
            "text": "Great, the OPS-77 deadline is Thursday",
            "ts": "1763690000.000300",
            "thread_ts": "1763600000.000100",
        },
    ]
    (root / "release" / "2025-11-20.json").write_text(json.dumps(day1))
    (root / "release" / "2025-11-21.json").write_text(json.dumps(day2))
    (root / "release" / "2025-11-22.json").write_text("[{not json")
    (root / "secret-deal" / "2025-11-20.json").write_text(
        json.dumps(
            [
                {
                    "type": "message",
                    "user": "U1",
                    "text": "Canary OPS-77 acquisition at 40M",
                    "ts": "1763600500.0",
                }
            ]
        )
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "KIOK_DATA_DIR": str(tmp_path / "data"),
        "KIOK_EMBEDDING__MODEL": "bundled:all-MiniLM-L6-v2",
        "HF_HUB_OFFLINE": "1",
    }


def test_import_then_recall_json_finds_the_planted_fact_with_sources(
    tmp_path: Path, env: dict[str, str]
) -> None:
    export = tmp_path / "export"
    write_export(export)
    zipped = tmp_path / "Acme Slack export Nov 20 2025 - Nov 22 2025.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for file in export.rglob("*.json"):
            zf.write(file, "Acme Slack export/" + file.relative_to(export).as_posix())

    first = kiok("import", str(zipped), home=tmp_path, env=env, timeout=180)
    assert first.returncode == 0, first.stderr
    assert "2 channels, 4 messages" in first.stdout and "1 threads, 2 users" in first.stdout
    assert "release/2025-11-22.json" in first.stderr and "not valid JSON" in first.stderr

    again = kiok("import", str(export), home=tmp_path, env=env, timeout=180)  # the unpacked directory
    assert (
        again.returncode == 0
        and "(0 new or changed)" in again.stdout
        and "0 messages indexed" in again.stdout
    )

    result = kiok(
        "recall",
        "who owns the migration ticket?",
        "--channel",
        "release",
        "--json",
        home=tmp_path,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits[0]["text"] == "Alice owns the DB migration, ticket OPS-77"
    assert hits[0]["sources"] == ["1763600100.000200"] and hits[0]["thread_ts"] == "1763600000.000100"
    assert {"kind", "text", "channel", "ts", "thread_ts", "sources", "score"} <= hits[0].keys()
    assert all(h["channel"] == "C1" for h in hits)
    assert not any("Canary" in h["text"] for h in hits)  # the private group stays private


def test_recall_queries_file_loads_models_once(tmp_path: Path, env: dict[str, str]) -> None:
    write_export(tmp_path / "export")
    assert kiok("import", str(tmp_path / "export"), home=tmp_path, env=env, timeout=180).returncode == 0
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"query": "OPS-77 deadline", "channel": "release", "k": 1})
        + "\n"
        + json.dumps({"query": "acquisition", "channel": "secret-deal", "k": 2})
        + "\n"
    )
    result = kiok("recall", "--queries", str(queries), home=tmp_path, env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(line["hits"]) for line in lines] == [1, 1]
    assert lines[0]["hits"][0]["text"] == "Great, the OPS-77 deadline is Thursday"
    assert lines[1]["hits"][0]["text"].startswith("Canary")


def test_not_an_export_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "empty").mkdir()
    result = kiok("import", str(tmp_path / "empty"), home=tmp_path, env=env)
    assert result.returncode == 1 and "holds no channels.json" in result.stderr
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 truncated")
    result = kiok("import", str(tmp_path / "bad.zip"), home=tmp_path, env=env)
    assert result.returncode == 1 and "not a readable zip" in result.stderr


def test_path_traversal_names_in_a_zip_are_ignored(tmp_path: Path, env: dict[str, str]) -> None:
    zipped = tmp_path / "evil.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("users.json", json.dumps(USERS))
        zf.writestr("channels.json", json.dumps(CHANNELS))
        zf.writestr("../../outside.json", "[]")
        zf.writestr("release/2025-11-20.json", json.dumps([{"user": "U1", "text": "hi", "ts": "1.0"}]))
    result = kiok("import", str(zipped), home=tmp_path, env=env, timeout=180)
    assert result.returncode == 0 and "unsafe path name" in result.stderr
    assert not (tmp_path.parent / "outside.json").exists()
