"""`kiok import`: load a Slack workspace export into memory through the same path live messages take.

Idempotent (messages are keyed by `(team, channel, ts)`); a malformed file is reported and skipped.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.importer.source import BadFile, ExportSource, NotAnExport
from app.slack_data import clean_text, message_record
from memory.errors import StoreError
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
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files not imported at all
    ignored: list[tuple[str, str]] = field(default_factory=list)  # files imported without some entries

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
        entries = [e for e in data if isinstance(e, dict) and _is_id(e.get("id"))]
        if len(entries) < len(data):
            self.summary.skipped.append((name, f"{len(data) - len(entries)} entries without an id ignored"))
        return entries

    def _users(self) -> list[dict[str, Any]]:
        return self._list("users.json")

    def _conversations(self) -> None:
        for name, kind in CONVERSATION_FILES.items():
            for entry in self._list(name):
                name_ = clean_text(entry.get("name"))
                folder = entry["id"] if kind == "im" else name_ or entry["id"]
                record = ChannelRecord(
                    self.team_id,
                    entry["id"],
                    name_[:255],
                    kind,
                    is_private=kind != "channel",
                )
                self.folders[folder] = record
                self.memory.directory.upsert_channel(record)
                self.summary.channels += 1

    def _messages(self, days: list[tuple[str, str]]) -> None:
        pending: list[tuple[str, list[MessageRecord]]] = []  # (file name, its records), flushed in batches
        threads: set[tuple[str, str]] = set()
        for done, (folder, name) in enumerate(days, start=1):
            records = self._day(folder, name)
            if records:
                pending.append((name, records))
                threads.update(
                    (r.channel_id, r.thread_ts) for r in records if r.thread_ts not in (None, r.ts)
                )
            if sum(len(r) for _n, r in pending) >= BATCH:
                self._flush(pending)
            if self.progress is not None:
                self.progress(done, len(days))
        self._flush(pending)
        self.summary.threads = len(threads)

    def _day(self, folder: str, name: str) -> list[MessageRecord]:
        """The records of one day file; [] (and a note in `skipped`) when the file cannot be used."""
        channel = self.folders.get(folder)
        if channel is None:
            self.summary.skipped.append((name, f"folder {folder!r} is not listed in any conversations file"))
            return []
        try:
            data = self.source.read_json(name, absolute=True)
        except BadFile as exc:
            self.summary.skipped.append((name, str(exc)))
            return []
        if not isinstance(data, list):
            self.summary.skipped.append((name, f"expected a JSON list, found {type(data).__name__}"))
            return []
        records = [r for msg in data if (r := _message(self.team_id, channel.channel_id, msg))]
        malformed = sum(1 for msg in data if not _usable(msg))
        if malformed:
            self.summary.ignored.append((name, f"{malformed} entries without a usable ts ignored"))
        return records

    def _flush(self, pending: list[tuple[str, list[MessageRecord]]]) -> None:
        """Store a batch in one transaction; if that fails, file by file, so a file either lands whole
        or is reported skipped with nothing of it written."""
        batch = [r for _name, records in pending for r in records]
        try:
            self.summary.new_messages += self.memory.ingest(batch)
            self.summary.messages += len(batch)
        except (StoreError, SQLAlchemyError):
            for name, records in pending:
                try:
                    self.summary.new_messages += self.memory.ingest(records)
                    self.summary.messages += len(records)
                except (StoreError, SQLAlchemyError) as exc:
                    self.summary.skipped.append((name, f"could not be stored ({type(exc).__name__})"))
        pending.clear()


def _message(team_id: str, channel_id: str, msg: object) -> MessageRecord | None:
    return message_record(team_id, channel_id, msg) if isinstance(msg, dict) else None


def _usable(msg: object) -> bool:
    """Whether an entry of a day file is a message with a ts (noise such as joins still counts)."""
    return isinstance(msg, dict) and message_record("T", "C", {**msg, "subtype": ""}) is not None


def _is_id(value: object) -> bool:
    """A Slack id (`U012AB3CD`, `C…`, `T…`): ids become keys in SQL, so nothing else is accepted."""
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,32}", value) is not None


def _team_from(users: list[dict[str, Any]]) -> str:
    return next((str(u["team_id"]) for u in users if _is_id(u.get("team_id"))), "")


def _user_record(team_id: str, user: dict[str, Any]) -> UserRecord:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    return UserRecord(
        team_id=team_id,
        user_id=user["id"],
        name=clean_text(user.get("name"))[:255],  # the column sizes of memory/models.py
        real_name=clean_text(user.get("real_name") or profile.get("real_name"))[:255],
        display_name=clean_text(profile.get("display_name"))[:255],
        is_bot=user.get("is_bot") is True,
        locale=clean_text(user.get("locale"))[:16],
        tz=clean_text(user.get("tz"))[:64],
    )


__all__ = ["ImportSummary", "NotAnExport", "import_export"]
