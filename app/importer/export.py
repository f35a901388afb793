"""`kiok import`: load a Slack workspace export into memory through the same path live messages take.

Idempotent (messages are keyed by `(team, channel, ts)`); a malformed file is reported and skipped.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.importer.source import BadFile, ExportSource, NotAnExport
from app.slack_data import message_record
from memory.records import ChannelRecord, MessageRecord, UserRecord
from memory.service import MemoryService

BATCH = 2000
CONVERSATION_FILES = {
    "channels.json": "channel",
    "groups.json": "group",
    "mpims.json": "mpim",
    "dms.json": "im",
}


@dataclass
class ImportSummary:
    team_id: str = ""
    channels: int = 0
    messages: int = 0
    new_messages: int = 0
    threads: int = 0
    users: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def imported_anything(self) -> bool:
        return self.messages > 0 or self.channels > 0 or self.users > 0


def import_export(
    path: Path,
    memory: MemoryService,
    *,
    team_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Import users, conversations and messages. Raises NotAnExport if `path` holds no export."""
    source = ExportSource(path)
    try:
        return _Importer(source, memory, team_id, progress).run()
    finally:
        source.close()


class _Importer:
    def __init__(
        self,
        source: ExportSource,
        memory: MemoryService,
        team_id: str | None,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.source, self.memory, self.progress = source, memory, progress
        self.summary = ImportSummary(skipped=[(n, "unsafe path name, ignored") for n in source.unsafe])
        self.team_id = team_id or ""
        self.folders: dict[str, ChannelRecord] = {}

    def run(self) -> ImportSummary:
        found = [n for n in (*CONVERSATION_FILES, "users.json") if self.source.has(n)]
        days = list(self.source.day_files())
        if not found and not days:
            raise NotAnExport(
                f"{self.source.path} holds no channels.json, users.json or day files of a Slack export"
            )
        users = self._users()
        self.team_id = self.team_id or _team_from(users) or "T_IMPORTED"
        self.summary.team_id = self.team_id
        self.memory.directory.upsert_workspace(self.team_id)
        for user in users:
            self.memory.directory.upsert_user(_user_record(self.team_id, user))
        self.summary.users = len(users)
        self._conversations()
        self._messages(days)
        return self.summary

    def _list(self, name: str) -> list[dict[str, Any]]:
        if not self.source.has(name):
            return []
        try:
            data = self.source.read_json(name)
        except BadFile as exc:
            self.summary.skipped.append((name, str(exc)))
            return []
        if not isinstance(data, list):
            self.summary.skipped.append((name, f"expected a JSON list, found {type(data).__name__}"))
            return []
        entries = [e for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]
        if len(entries) < len(data):
            self.summary.skipped.append((name, f"{len(data) - len(entries)} entries without an id ignored"))
        return entries

    def _users(self) -> list[dict[str, Any]]:
        return self._list("users.json")

    def _conversations(self) -> None:
        for name, kind in CONVERSATION_FILES.items():
            for entry in self._list(name):
                folder = entry["id"] if kind == "im" else str(entry.get("name") or entry["id"])
                record = ChannelRecord(
                    self.team_id,
                    entry["id"],
                    str(entry.get("name") or ""),
                    kind,
                    is_private=kind != "channel",
                )
                self.folders[folder] = record
                self.memory.directory.upsert_channel(record)
                self.summary.channels += 1

    def _messages(self, days: list[tuple[str, str]]) -> None:
        pending: list[MessageRecord] = []
        threads: set[tuple[str, str]] = set()
        for done, (folder, name) in enumerate(days, start=1):
            channel = self.folders.get(folder)
            if channel is None:
                self.summary.skipped.append(
                    (name, f"folder {folder!r} is not listed in any conversations file")
                )
                continue
            try:
                data = self.source.read_json(name, absolute=True)
            except BadFile as exc:
                self.summary.skipped.append((name, str(exc)))
                continue
            if not isinstance(data, list):
                self.summary.skipped.append((name, f"expected a JSON list, found {type(data).__name__}"))
                continue
            for msg in data:
                record = _message(self.team_id, channel.channel_id, msg)
                if record is None:
                    continue
                pending.append(record)
                if record.thread_ts and record.thread_ts != record.ts:
                    threads.add((record.channel_id, record.thread_ts))
            if len(pending) >= BATCH:
                self._flush(pending)
            if self.progress is not None:
                self.progress(done, len(days))
        self._flush(pending)
        self.summary.threads = len(threads)

    def _flush(self, pending: list[MessageRecord]) -> None:
        self.summary.messages += len(pending)
        self.summary.new_messages += self.memory.ingest(pending)
        pending.clear()


def _message(team_id: str, channel_id: str, msg: object) -> MessageRecord | None:
    if not isinstance(msg, dict) or not isinstance(msg.get("ts"), str | int | float):
        return None
    if not isinstance(msg.get("text", ""), str):
        msg = {**msg, "text": str(msg.get("text"))}
    return message_record(team_id, channel_id, {**msg, "ts": str(msg["ts"])})


def _team_from(users: list[dict[str, Any]]) -> str:
    return next((str(u["team_id"]) for u in users if isinstance(u.get("team_id"), str)), "")


def _user_record(team_id: str, user: dict[str, Any]) -> UserRecord:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    return UserRecord(
        team_id=team_id,
        user_id=user["id"],
        name=str(user.get("name") or ""),
        real_name=str(user.get("real_name") or profile.get("real_name") or ""),
        display_name=str(profile.get("display_name") or ""),
        is_bot=bool(user.get("is_bot")),
        locale=str(user.get("locale") or ""),
        tz=str(user.get("tz") or ""),
    )


__all__ = ["ImportSummary", "NotAnExport", "import_export"]
