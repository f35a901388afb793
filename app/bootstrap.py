"""Composition root: Settings -> stores -> LLM -> services -> Bolt app -> Socket Mode."""

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.bolt_app import build_app, make_web_client
from app.delivery import DeliveryGuard
from app.digests import build_digests
from app.followups import Followups
from app.ingest import MessageIngestor
from app.llm_gate import LLMGate
from app.rate_limit import UserRateLimit
from app.recovery import JournaledAnswerer
from app.services import Services
from app.settings import Settings
from memory.db import create_db_engine, upgrade
from memory.directory import DirectoryStore
from memory.embeddings import make_embedder
from memory.embeddings.base import Embedder
from memory.errors import VectorStoreUnavailable
from memory.indexer import Indexer
from memory.job_runner import JobRunner
from memory.jobs import JobQueue
from memory.journal import DeliveryJournal
from memory.policies import PolicyStore
from memory.redaction import DEFAULT_PATTERNS, Redactor
from memory.retrieval import Recaller
from memory.service import MemoryService
from memory.sparse import SparseEncoder
from memory.store import MessageStore
from memory.summaries import SummaryStore
from memory.summary_index import SummaryIndex
from memory.vectors import make_vector_store
from memory.worker import IndexWorker
from summarizer.errors import LLMBadRequest, LLMError
from summarizer.jobs import SummaryPlanner, SummaryWorker
from summarizer.llm import make_llm_client
from summarizer.llm.base import LLMClient
from summarizer.pipeline import Summarizer

log = logging.getLogger(__name__)

# Slack stops retrying an event after about an hour; remembering ids for a day is ample.
EVENT_DEDUPE_WINDOW = timedelta(days=1)


class StartupError(Exception):
    """Kiok cannot start; the message lists every problem and how to fix it."""


def build_memory(
    settings: Settings, store: MessageStore, *, embedder: Embedder | None = None
) -> MemoryService:
    """The memory service over `store`: embedder, vector index, recall. Loads no model until used."""
    embedder = embedder or make_embedder(settings.embedding)
    vectors = make_vector_store(settings.vector, data_dir=settings.data_dir)
    sparse = SparseEncoder()
    directory = DirectoryStore(store.engine)
    summary_index = SummaryIndex(store.engine)
    policies = PolicyStore(store.engine)
    indexer = Indexer(
        store=store,
        directory=directory,
        summaries=summary_index,
        embedder=embedder,
        vectors=vectors,
        sparse=sparse,
        batch_size=settings.embedding.batch_size,
    )
    recaller = Recaller(
        summaries=summary_index,
        store=store,
        policies=policies,
        embedder=embedder,
        vectors=vectors,
        sparse=sparse,
        settings=settings.memory,
    )
    return MemoryService(
        store=store,
        directory=directory,
        policies=policies,
        indexer=indexer,
        recaller=recaller,
        summary_index=summary_index,
        redactor=_redactor(settings),
    )


def _redactor(settings: Settings) -> Redactor:
    m = settings.memory
    if not m.redact_secrets:
        return Redactor((), extra=m.redact_patterns)
    return Redactor(DEFAULT_PATTERNS, extra=m.redact_patterns, disable=m.redact_disable)


@dataclass(frozen=True)
class SummaryServices:
    queue: JobQueue
    planner: SummaryPlanner
    worker: SummaryWorker
    runner: JobRunner

    def summarize_now(self, team_id: str, channel_id: str, *, now: datetime) -> bool:
        """Queue the channel's ready conversation whatever the batch thresholds (someone wants it current)
        and wake the background workers. True while a batch of the channel is queued or running; False when
        no background worker runs (`KIOK_SUMMARY__WORKERS=0`: only `kiok summarize` does)."""
        if not self.runner.running:
            return False
        if self.planner.plan(now=now, channel_id=channel_id, flush=True):
            self.runner.wake()
        return self.planner.busy(team_id, channel_id)


def build_summaries(
    settings: Settings, memory: MemoryService, *, llm: LLMClient | None = None
) -> SummaryServices:
    """The summarization pipeline: durable queue, planner, handlers and their runner (not started)."""
    llm = llm or make_llm_client(settings.llm)
    queue = JobQueue(memory.store.engine, lease_seconds=settings.summary.job_lease_seconds)
    summaries = SummaryStore(memory.store.engine)
    worker = SummaryWorker(
        summarizer=Summarizer(llm, max_output_tokens=settings.summary.max_output_tokens),
        summaries=summaries,
        directory=memory.directory,
        settings=settings.summary,
        model=settings.llm.model,
    )
    runner = JobRunner(
        queue,
        worker.handlers(),
        workers=max(1, settings.summary.workers),
        retryable=(LLMError,),
        fatal=(LLMBadRequest,),
    )
    return SummaryServices(queue, SummaryPlanner(summaries, queue, settings.summary), worker, runner)


def _catch_up(
    settings: Settings, summaries: SummaryServices, clock: Callable[[], datetime]
) -> Callable[[str, str], bool] | None:
    """Before a scheduled digest: queue the channel's ready conversation whatever the batch thresholds and
    wait for it (`KIOK_SUMMARY__DIGEST_CATCH_UP_SECONDS`; None when that is 0)."""
    wait = settings.summary.digest_catch_up_seconds
    if wait <= 0:
        return None

    def catch_up(team_id: str, channel_id: str) -> bool:
        if not summaries.summarize_now(team_id, channel_id, now=clock()):
            return True  # nothing waits, or no background worker would run it
        caught_up = summaries.planner.wait_done(team_id, channel_id, timeout=wait)
        if not caught_up:
            log.warning(
                "digest of %s: summaries still running after %g s; posting what is stored", channel_id, wait
            )
        return caught_up

    return catch_up


def open_store(settings: Settings) -> MessageStore:
    """Open the database, applying pending migrations."""
    engine = create_db_engine(settings.db_url)
    before, after = upgrade(engine)
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)
    return MessageStore(engine)


def build_services(
    settings: Settings,
    *,
    llm: LLMClient | None = None,
    embedder: Embedder | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Services:
    """Open (and migrate) the database and create every service."""
    store = open_store(settings)
    store.forget_events_before(datetime.now(UTC) - EVENT_DEDUPE_WINDOW)
    journal = DeliveryJournal(store.engine)
    journal.forget_events_before(datetime.now(UTC) - EVENT_DEDUPE_WINDOW)
    journal.forget_mentions_before(datetime.now(UTC) - EVENT_DEDUPE_WINDOW)
    llm = llm or make_llm_client(settings.llm)
    memory = build_memory(settings, store, embedder=embedder)
    worker = IndexWorker(memory.indexer)
    memory.set_pending_callback(worker.notify)
    gate = LLMGate(settings.llm.concurrency)
    mentions = JournaledAnswerer(
        journal=journal,
        memory=memory,
        llm=llm,
        llm_settings=settings.llm,
        update_interval=settings.slack.update_interval,
        summaries=SummaryStore(store.engine),
        memory_settings=settings.memory,
        gate=gate,
        clock=clock,
        rate_limit=UserRateLimit(settings.slack.user_rate_limit_per_minute),
    )
    summaries = build_summaries(settings, memory, llm=llm)
    summaries.worker.on_written = worker.notify  # new summaries get indexed promptly
    summaries.worker.clock = clock
    return Services(
        settings=settings,
        summaries=summaries,
        followups=Followups(store, memory.policies),
        llm_gate=gate,
        clock=clock,
        digests=build_digests(
            settings, store.engine, clock=clock, catch_up=_catch_up(settings, summaries, clock)
        ),
        store=store,
        llm=llm,
        mentions=mentions,
        ingest=MessageIngestor(memory),
        memory=memory,
        index_worker=worker,
    )


class Bot:
    """A running Kiok: the Bolt app connected over Socket Mode. `start()` returns once connected."""

    def __init__(
        self,
        settings: Settings,
        *,
        llm: LLMClient | None = None,
        embedder: Embedder | None = None,
        client: WebClient | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        """`clock` is "now" for Kiok's own decisions (prompt dates, quiet threads, retention); the sandbox
        passes its emulated clock so that `:wait 3d` means three days to Kiok too."""
        self._clock = clock
        problems = settings.slack.missing()
        if problems:
            raise StartupError("Kiok cannot start:\n  - " + "\n  - ".join(problems))
        assert settings.slack.app_token is not None
        self.services = build_services(settings, llm=llm, embedder=embedder, clock=clock)
        try:
            self.services.memory.indexer.ensure_index()  # a model change without `kiok reindex` stops here
        except VectorStoreUnavailable as exc:  # the index is derived: answer from threads until it is back
            log.error("vector index unavailable, answers use the thread only: %s", exc)
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            lambda: self.services.memory.apply_retention(self._clock()),
            "interval",
            hours=1,
            id="retention",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC) + timedelta(minutes=1),
        )
        summary = settings.summary
        self._scheduler.add_job(
            self._plan_summaries,
            "interval",
            seconds=summary.tick_seconds,
            id="summaries",
            coalesce=True,
            max_instances=1,
        )
        self.client = client or make_web_client(settings)
        self.delivery = DeliveryGuard(self.services, self.client)
        try:
            self.app = build_app(self.services, self.client, on_event=self.delivery.on_event)
        except BoltError as exc:
            raise StartupError(
                f"Slack rejected the bot token ({exc}). Check KIOK_SLACK__BOT_TOKEN and that the app is "
                f"installed to the workspace; `kiok doctor` checks every setting."
            ) from None
        self._handler = SocketModeHandler(
            self.app,
            settings.slack.app_token.get_secret_value(),
            web_client=self.client,
            ping_interval=settings.slack.socket_ping_interval,
        )
        self.delivery.bind(self.app, self._handler.client)  # before connecting: notes unfinished work

    def _plan_summaries(self) -> None:
        queued = self.services.summaries.planner.plan(now=self._clock())
        if queued:
            self.services.summaries.runner.wake()

    def start(self) -> None:
        self.services.index_worker.start()
        self._scheduler.start()
        self.services.digests.start(self.client)
        if self.services.settings.summary.workers:
            self.services.summaries.runner.start()
        self.delivery.start()
        try:
            self._handler.connect()
        except SlackApiError as exc:
            raise StartupError(
                f"Slack refused the Socket Mode connection ({exc.response.get('error')}). Check "
                "KIOK_SLACK__APP_TOKEN (xapp-, scope connections:write) and that Socket Mode is enabled."
            ) from None
        log.info("Kiok is connected to Slack over Socket Mode")

    def stop(self) -> None:
        self._handler.close()
        self.delivery.stop()
        self.services.digests.shutdown()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.services.summaries.runner.stop()
        self.services.index_worker.stop()
        self.services.memory.indexer.close()
        self.services.store.engine.dispose()


def run_forever(settings: Settings) -> None:
    """`kiok run`: connect and serve until SIGINT/SIGTERM."""
    bot = Bot(settings)
    stopped = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: shutting down", signum)
        stopped.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    bot.start()
    stopped.wait()
    bot.stop()


__all__ = [
    "Bot",
    "StartupError",
    "SummaryServices",
    "build_memory",
    "build_services",
    "build_summaries",
    "open_store",
    "run_forever",
]
