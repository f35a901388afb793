"""The benchmark workspace generator: deterministic, questions answerable, and its export importable."""

import json
from datetime import UTC, datetime
from pathlib import Path

from app.importer.export import import_export
from bench.phrases import particle
from bench.workspace import generate, write_export
from memory.service import MemoryService


def test_same_seed_same_workspace_and_another_seed_differs() -> None:
    a, b = generate(3, days=6, per_day=30), generate(3, days=6, per_day=30)
    assert a.messages == b.messages and a.questions == b.questions
    assert generate(4, days=6, per_day=30).messages != a.messages


def test_every_question_has_its_evidence_in_its_channel() -> None:
    ws = generate(7, days=30, per_day=40)
    by_key = {(m.channel, m.ts): m for m in ws.messages}
    assert len(by_key) == len(ws.messages)  # (channel, ts) is unique, as in Slack
    assert len(ws.questions) > 100
    for q in ws.questions:
        assert q.evidence and all((q.channel, ts) in by_key for ts in q.evidence), q
        assert all(by_key[(q.channel, ts)].lang == q.evidence_lang for ts in q.evidence), q
        assert "{" not in q.query and "|" not in q.query
    assert {q.lang for q in ws.questions} == {"en", "ko"} and any(q.cross for q in ws.questions)
    assert {"fact", "decision", "reversed", "ticket", "id", "owner", "deadline"} <= {
        q.kind for q in ws.questions
    }
    assert {c.kind for c in ws.channels} == {"channel", "group", "im"}
    assert all("{" not in m.text for m in ws.messages)


def test_korean_particles_follow_the_last_sound() -> None:
    assert [particle(w, "은") for w in ("배포", "결제 서비스", "SSO 연동", "PROJ-12")] == [
        "배포는",
        "결제 서비스는",
        "SSO 연동은",
        "PROJ-12는",
    ]
    assert [particle(w, "로") for w in ("JSON", "Redis", "화요일", "PROJ-3")] == [
        "JSON으로",
        "Redis로",
        "화요일로",
        "PROJ-3으로",
    ]


def test_export_imports_every_message_with_threads_and_conversation_kinds(
    tmp_path: Path, memory: MemoryService
) -> None:
    ws = generate(7, days=8, per_day=40)
    root = write_export(ws, tmp_path / "export")
    summary = import_export(root, memory)
    assert summary.team_id == ws.team and summary.skipped == []
    assert summary.messages == summary.new_messages == len(ws.messages)
    assert summary.users == len(ws.users) and summary.channels == len(ws.channels)
    for ch in ws.channels:
        stored = memory.directory.get_channel(ws.team, ch.id)
        assert stored is not None and stored.kind == ch.kind and stored.is_private == (ch.kind != "channel")
        assert memory.store.count_messages(ws.team, ch.id) == sum(m.channel == ch.id for m in ws.messages)

    def day(ts: str) -> str:
        return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d")

    # a reply written the day after its thread started
    reply = next(
        m for m in ws.messages if m.thread_ts and m.thread_ts != m.ts and day(m.ts) != day(m.thread_ts)
    )
    got = memory.store.get_message(ws.team, reply.channel, reply.ts)
    assert got is not None and (got.text, got.thread_ts, got.user_id) == (
        reply.text,
        reply.thread_ts,
        reply.user,
    )
    folder = next(c.name or c.id for c in ws.channels if c.id == reply.channel)
    day_file = json.loads((root / folder / f"{day(reply.ts)}.json").read_text("utf-8"))
    assert reply.ts in {m["ts"] for m in day_file}  # in the day file of its own ts
    assert import_export(root, memory).new_messages == 0  # idempotent
