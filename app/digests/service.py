"""Channel digests: schedules in SQL, fired by APScheduler with a persistent job store, posted at most once
per channel and period.

Delivery choice: **at most once per period.** The `digest_posts` row is claimed (unique key) before the
message is posted, so a restart, a misfire catch-up, a second bot process or a job fired twice posts one
digest. When Slack answers with an error the row is marked `failed`, and the next attempt for that period
(a second process, a catch-up, `post_now`/`run_now`) may post it. When the process dies between claim and
post, or the post times out without an answer, the period stays `claimed` and is skipped rather than risk
a duplicate. Nothing is lost: every digest covers everything since the last one actually posted.
"""

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from app.blocks.digests import digest_message
from app.digests import jobs, periods
from app.digests.content import gather
from memory.digest_store import DigestStore, PostRecord, ScheduleRecord
from memory.directory import DirectoryStore
from memory.summaries import SummaryStore

log = logging.getLogger(__name__)

JOBS_TABLE = "kiok_scheduler_jobs"
JOBSTORE = "default"
MISFIRE_GRACE_SECONDS = 12 * 3600  # a digest missed while Kiok was down is still posted within this


class DigestFailed(Exception):
    """Slack refused the digest; `error` is Slack's error code. The period may be retried."""

    def __init__(self, channel_id: str, error: str) -> None:
        super().__init__(f"posting the digest in {channel_id} failed: {error}")
        self.channel_id, self.error = channel_id, error


@dataclass(frozen=True)
class DigestStatus:
    """A channel's schedule (None: never scheduled), its next run and the last digest posted. The
    schedule's fields are also readable here (None without a schedule)."""

    schedule: ScheduleRecord | None
    next_run: datetime | None
    last_post: PostRecord | None

    @property
    def enabled(self) -> bool | None:
        return None if self.schedule is None else self.schedule.enabled

    @property
    def cadence(self) -> str | None:
        return None if self.schedule is None else self.schedule.cadence

    @property
    def weekday(self) -> int | None:
        return None if self.schedule is None else self.schedule.weekday

    @property
    def at_time(self) -> str | None:
        return None if self.schedule is None else self.schedule.at_time

    @property
    def timezone(self) -> str | None:
        return None if self.schedule is None else self.schedule.timezone


class DigestService:
    """Schedules, composes and posts channel digests. `start(client)` begins scheduling."""

    def __init__(
        self,
        *,
        engine: Engine,
        default_timezone: str = "UTC",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        misfire_grace_seconds: int = MISFIRE_GRACE_SECONDS,
        jobs_table: str = JOBS_TABLE,
        workers: int = 2,
        catch_up: Callable[[str, str], object] | None = None,
    ) -> None:
        """`clock` is "now" for periods and coverage (the sandbox's emulated time); the scheduler fires on
        real time. `catch_up(team, channel)` summarizes the channel's ready conversation (bounded wait)
        before a scheduled digest reads the summaries, so it shows yesterday's decisions, not last week's."""
        periods.zone(default_timezone)
        self.store = DigestStore(engine)
        self.summaries = SummaryStore(engine)
        self.directory = DirectoryStore(engine)
        self.default_timezone = default_timezone
        self._clock = clock
        self._grace, self._table, self._workers = misfire_grace_seconds, jobs_table, workers
        self._catch_up = catch_up
        self._client: WebClient | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._service_id = ""
        self._lock = threading.RLock()

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def scheduler(self) -> BackgroundScheduler | None:
        """The running scheduler (None before `start`)."""
        return self._scheduler

    def start(self, client: WebClient | None = None) -> None:
        """Start scheduling; jobs are re-registered from `digest_schedules` (SQL is the source of truth)."""
        with self._lock:
            if client is not None:
                self._client = client
            if self._scheduler is not None:
                return
            self._service_id = jobs.register(self)
            executor = ThreadPoolExecutor(
                self._workers,
                pool_kwargs={"initializer": jobs.bind_thread, "initargs": (self._service_id,)},
            )
            scheduler = BackgroundScheduler(
                jobstores={JOBSTORE: SQLAlchemyJobStore(engine=self.store.engine, tablename=self._table)},
                executors={"default": executor},
                job_defaults={"coalesce": True, "misfire_grace_time": self._grace, "max_instances": 1},
                timezone=UTC,
            )
            scheduler.start(paused=True)
            self._scheduler = scheduler
            self._sync_jobs()
            scheduler.resume()  # jobs missed while down run now (once: coalesce), within the grace time

    def shutdown(self) -> None:
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            # Detach the SQL job store first: APScheduler 3 makes one last pass over due jobs after it is
            # stopped, which would advance (and so skip) a run due right now; and the store's own shutdown
            # would dispose of the engine the rest of Kiok shares. The jobs stay in SQL.
            scheduler.remove_jobstore(JOBSTORE, shutdown=False)
            scheduler.shutdown(wait=True)
            jobs.unregister(self._service_id)

    def _sync_jobs(self) -> None:
        """Make the job store match SQL: add missing jobs, replace changed ones, drop orphans. An unchanged
        job is kept as it is, so a run missed while Kiok was down is still caught up."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        wanted = {jobs.job_id(s.team_id, s.channel_id): s for s in self.store.schedules()}
        for job in scheduler.get_jobs():
            if job.id.startswith(jobs.JOB_PREFIX) and job.id not in wanted:
                job.remove()
        for job_id, schedule in wanted.items():
            job = scheduler.get_job(job_id)
            if job is None or job.name != _describe(schedule):
                self._add_job(schedule)

    def _add_job(self, schedule: ScheduleRecord) -> None:
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            jobs.JOB_FUNC,
            trigger=periods.trigger(schedule),
            args=[schedule.team_id, schedule.channel_id],
            id=jobs.job_id(schedule.team_id, schedule.channel_id),
            name=_describe(schedule),
            replace_existing=True,
        )

    def _remove_job(self, team_id: str, channel_id: str) -> None:
        if self._scheduler is not None:
            with contextlib.suppress(JobLookupError):  # never scheduled, or another process removed it
                self._scheduler.remove_job(jobs.job_id(team_id, channel_id))

    # --- schedules ---------------------------------------------------------------------------------

    def set_schedule(
        self,
        team_id: str,
        channel_id: str,
        cadence: str,
        weekday: int | None,
        at_time: str,
        tz: str,
        user: str,
    ) -> ScheduleRecord:
        """Digest `channel_id` daily (or weekly on `weekday`, 0 = Monday) at `at_time` in `tz` (empty: the
        default zone). Raises periods.InvalidSchedule with a fix-it message."""
        tz = tz or self.default_timezone
        day, _hour, _minute = periods.validate(cadence, weekday, at_time, tz)
        schedule = ScheduleRecord(team_id, channel_id, cadence, day, at_time, tz, True, user)
        with self._lock:
            self.store.save_schedule(schedule)
            self._add_job(schedule)
        return schedule

    def disable(self, team_id: str, channel_id: str) -> bool:
        """Stop a channel's digests; False when none was scheduled."""
        with self._lock:
            changed = self.store.disable(team_id, channel_id)
            self._remove_job(team_id, channel_id)
        return changed

    def status(self, team_id: str, channel_id: str) -> DigestStatus:
        schedule = self.store.get_schedule(team_id, channel_id)
        next_run: datetime | None = None
        if schedule is not None and schedule.enabled:
            job = self._scheduler.get_job(jobs.job_id(team_id, channel_id)) if self._scheduler else None
            if job is not None:
                next_run = job.next_run_time
            else:
                next_run = periods.trigger(schedule).get_next_fire_time(None, self._now())
        return DigestStatus(schedule, next_run, self.store.last_posted(team_id, channel_id))

    # --- posting -----------------------------------------------------------------------------------

    def post_now(self, client: WebClient, team_id: str, channel_id: str) -> str | None:
        """Post a digest covering everything since the previous one. Returns the message ts, or None when
        a digest was already posted this minute. Raises DigestFailed when Slack refuses it."""
        return self._post(client, team_id, channel_id, periods.manual_key(self._now()))

    def run_scheduled(self, team_id: str, channel_id: str, *, client: WebClient | None = None) -> str | None:
        """The scheduled digest for the period now due (what the scheduler's job calls)."""
        schedule = self.store.get_schedule(team_id, channel_id)
        if schedule is None or not schedule.enabled:
            self._remove_job(team_id, channel_id)
            return None
        client = client or self._client
        if client is None:
            log.error("digest of %s is due but DigestService.start(client) got no client", channel_id)
            return None
        key = periods.period_key(schedule, periods.latest_occurrence(schedule, self._now()))
        if self._catch_up is not None:
            self._catch_up(team_id, channel_id)
        try:
            return self._post(client, team_id, channel_id, key)
        except DigestFailed as exc:
            log.warning("%s (period %s; a later run may retry it)", exc, key)
            return None

    def run_now(self, client: WebClient | None = None) -> list[str]:
        """Post the due digest of every scheduled channel now; with no schedules at all, a digest of every
        channel Kiok remembers (the sandbox's `:digest`). Returns the posted message timestamps."""
        client = client or self._client
        if client is None:
            raise RuntimeError("run_now needs a Slack client (or DigestService.start(client) first)")
        posted: list[str] = []
        schedules = self.store.schedules()
        if schedules:
            for s in schedules:
                ts = self.run_scheduled(s.team_id, s.channel_id, client=client)
                posted += [ts] if ts else []
            return posted
        for team_id, channel_id in self.store.channels_with_messages():
            if channel_id[:1] not in ("C", "G"):
                continue
            try:
                ts = self.post_now(client, team_id, channel_id)
            except DigestFailed as exc:
                log.warning("%s", exc)
                continue
            posted += [ts] if ts else []
        return posted

    def _post(self, client: WebClient, team_id: str, channel_id: str, period_key: str) -> str | None:
        schedule = self.store.get_schedule(team_id, channel_id)
        now = self._now()
        until_ts = periods.to_ts(now)
        last = self.store.last_posted(team_id, channel_id)
        cadence = schedule.cadence if schedule is not None and schedule.enabled else None
        since_ts = last.until_ts if last is not None else periods.to_ts(now - periods.lookback(cadence))
        claim = self.store.claim(team_id, channel_id, period_key, since_ts=since_ts, until_ts=until_ts)
        if claim is None:
            log.info("digest %s of %s was already taken; not posting it again", period_key, channel_id)
            return None
        try:
            message = digest_message(
                gather(
                    store=self.store,
                    summaries=self.summaries,
                    client=client,
                    team_id=team_id,
                    channel_id=channel_id,
                    since_ts=since_ts,
                    until_ts=until_ts,
                    tz=periods.zone(schedule.timezone if schedule else self.default_timezone),
                    user_labels=self.directory.user_labels(team_id),
                    recorded_after=last.created_at if last is not None else None,
                )
            )
        except Exception:
            self.store.mark_failed(claim.id)  # nothing was posted: the period may be retried
            raise
        try:
            response = client.chat_postMessage(
                channel=channel_id,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            self.store.mark_failed(claim.id)  # Slack answered with an error: nothing was posted
            raise DigestFailed(channel_id, str(exc.response.get("error"))) from None
        # Any other error (a timeout) leaves the period claimed: the post may have gone through.
        ts = str(response["ts"])
        self.store.mark_posted(claim.id, ts)
        log.info("posted digest %s in %s (%s)", period_key, channel_id, ts)
        return ts

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _describe(schedule: ScheduleRecord) -> str:
    """The job's name; it changes exactly when the trigger must change."""
    day = f" {periods.CRON_DAYS[schedule.weekday]}" if schedule.cadence == "weekly" else ""
    return f"digest {schedule.cadence}{day} {schedule.at_time} {schedule.timezone}"


__all__ = ["JOBS_TABLE", "DigestFailed", "DigestService", "DigestStatus"]
