"""The services listeners call, built once in the composition root and passed to `register`."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.answers import MentionAnswerer
from app.followups import Followups
from app.ingest import MessageIngestor

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


__all__ = ["Services"]
