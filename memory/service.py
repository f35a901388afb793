"""The memory service: one facade over the SQL store, policies, the indexer and recall.

Callers (Slack listeners, the CLI, importers) hand it plain records; it decides what may be stored
(opt-outs), keeps the index in step (a background worker embeds), and erases on request.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from memory.directory import DirectoryStore
from memory.indexer import Indexer
from memory.policies import PolicyStore
from memory.records import MessageRecord
from memory.redaction import Redactor
from memory.retrieval import Recaller, RecallHit, RecallQuery
from memory.store import MessageStore
from memory.summary_index import SummaryIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForgetResult:
    messages: int


class MemoryService:
    def __init__(
        self,
        *,
        store: MessageStore,
        directory: DirectoryStore,
        policies: PolicyStore,
        indexer: Indexer,
        recaller: Recaller,
        on_pending: Callable[[], None] | None = None,
        summary_index: SummaryIndex | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.summary_index = summary_index
        self.redactor = redactor or Redactor()
        self.store, self.directory, self.policies = store, directory, policies
        self.indexer, self.recaller = indexer, recaller
        self._on_pending = on_pending or (lambda: None)

    def set_pending_callback(self, callback: Callable[[], None]) -> None:
        """Called after writes that leave messages to index (the background worker's wake-up)."""
        self._on_pending = callback

    # --- writes ------------------------------------------------------------------------------------

    def ingest(self, records: Iterable[MessageRecord]) -> int:
        """Store messages (skipping opted-out authors); returns how many rows changed."""
        records = list(records)
        if not records:
            return 0
        opted_out: dict[str, set[str]] = {}
        kept = []
        for rec in records:
            if rec.team_id not in opted_out:
                opted_out[rec.team_id] = self.policies.opted_out(rec.team_id)
            if not rec.user_id or rec.user_id not in opted_out[rec.team_id]:
                kept.append(self._redacted(rec))
        changed = self.store.upsert_messages(kept)
        if changed:
            self._on_pending()
        return changed

    def _redacted(self, rec: MessageRecord) -> MessageRecord:
        """The record with secrets replaced; only the kinds found are logged, never the text."""
        result = self.redactor.redact(rec.text)
        if not result.found:
            return rec
        log.info("redacted %s in %s/%s", ", ".join(result.found), rec.channel_id, rec.ts)
        return replace(rec, text=result.text)

    def delete_message(self, team_id: str, channel_id: str, ts: str) -> None:
        """Slack deleted a message: erase its text (keeping a tombstone) and its index point."""
        self.store.mark_deleted(team_id, channel_id, ts)
        self.indexer.remove(team_id, [(channel_id, ts)])

    def forget(
        self,
        team_id: str,
        *,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        user_id: str | None = None,
        ts: str | None = None,
        before_ts: float | None = None,
    ) -> ForgetResult:
        """Erase matching messages from SQL and the index for good."""
        if not any((channel_id, thread_ts, user_id, ts, before_ts)):
            raise ValueError("forget needs a channel, thread, user or message: refusing to erase a workspace")
        if (thread_ts or ts) and not channel_id:
            raise ValueError("forgetting a thread or message needs its channel")
        keys = self.store.delete_messages(
            team_id, channel_id=channel_id, thread_ts=thread_ts, user_id=user_id, ts=ts, before_ts=before_ts
        )
        self.indexer.remove(team_id, keys)
        if self.summary_index is not None:  # summaries built from erased messages go too
            whole_channel = channel_id if not (thread_ts or ts or user_id or before_ts) else None
            erased = set() if whole_channel else set(keys)
            self.indexer.remove_points(
                self.summary_index.forget(team_id, channel_id if whole_channel else None, erased, user_id)
            )
        log.info(
            "forgot %d messages (channel=%s thread=%s user=%s)", len(keys), channel_id, thread_ts, user_id
        )
        return ForgetResult(len(keys))

    def opt_out(self, team_id: str, user_id: str) -> ForgetResult:
        """The user's messages are erased now and never stored again (until `opt_in`)."""
        self.policies.opt_out(team_id, user_id)
        return self.forget(team_id, user_id=user_id)

    def opt_in(self, team_id: str, user_id: str) -> None:
        self.policies.opt_in(team_id, user_id)

    def apply_retention(self, now: datetime | None = None) -> int:
        """Erase memory older than each channel's retention period; returns messages erased."""
        now = now or datetime.now(UTC)
        erased = 0
        for team_id, channel_id, days in self.policies.retention_rules():
            cutoff = (now - timedelta(days=days)).timestamp()
            erased += self.forget(team_id, channel_id=channel_id, before_ts=cutoff).messages
        return erased

    # --- reads -------------------------------------------------------------------------------------

    def recall(self, query: RecallQuery) -> list[RecallHit]:
        self.indexer.ensure_index()
        return self.recaller.recall(query)


__all__ = ["ForgetResult", "MemoryService"]
