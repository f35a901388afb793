"""The services listeners call, built once in the composition root and passed to `register`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.answers import MentionAnswerer
from app.digests import DigestService
from app.followups import Followups
from app.ingest import MessageIngestor
from app.llm_gate import LLMGate

if TYPE_CHECKING:
    from app.bootstrap import SummaryServices
from app.settings import Settings
from memory.service import MemoryService
from memory.store import MessageStore
from memory.worker import IndexWorker
from summarizer.llm.base import LLMClient


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: MessageStore
    llm: LLMClient
    mentions: MentionAnswerer
    ingest: MessageIngestor
    memory: MemoryService
    index_worker: IndexWorker
    summaries: "SummaryServices"
    followups: Followups
    llm_gate: LLMGate
    digests: DigestService
    clock: Callable[[], datetime]


__all__ = ["Services"]
