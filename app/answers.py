"""Answer an @mention from its thread: placeholder, context, model, streamed reply, friendly errors."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.grounding import cited, recall_notes, sources_footer
from app.i18n import t
from app.llm_gate import LLMGate
from app.rate_limit import UserRateLimit, tell_limited
from app.reply import ReplyHooks, ThreadReply
from app.slack_data import UserDirectory, clean_text, fetch_thread, message_record
from app.slack_text import escape, strip_mention, to_plain_text
from memory.config import MemorySettings
from memory.records import OWN_REPLY
from memory.retrieval import RecallQuery
from memory.service import MemoryService
from memory.summaries import SummaryStore
from summarizer.answering import ThreadLine, build_answer_prompt
from summarizer.config import LLMSettings
from summarizer.errors import LLMError, LLMTimeout
from summarizer.language import Language, detect_language
from summarizer.llm.base import LLMClient
from summarizer.llm.deadline import until_deadline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mention:
    """What the listener extracts from an `app_mention` event."""

    team_id: str
    channel: str
    ts: str
    thread_ts: str
    user: str
    text: str
    bot_user_id: str

    @classmethod
    def from_event(cls, event: dict[str, Any], *, team_id: str, bot_user_id: str) -> "Mention":
        return cls(
            team_id=team_id,
            channel=event["channel"],
            ts=event["ts"],
            thread_ts=event.get("thread_ts") or event["ts"],
            user=event.get("user") or "",
            text=clean_text(event.get("text")),  # no NUL or lone surrogates past this point
            bot_user_id=bot_user_id,
        )


class MentionAnswerer:
    """The service behind the `app_mention` listener."""

    def __init__(
        self,
        *,
        memory: MemoryService,
        llm: LLMClient,
        llm_settings: LLMSettings,
        update_interval: float,
        summaries: SummaryStore | None = None,
        memory_settings: MemorySettings | None = None,
        gate: LLMGate | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rate_limit: UserRateLimit | None = None,
    ) -> None:
        self.rate_limit = rate_limit or UserRateLimit(0)  # shared with `/kiok ask`
        self._clock, self._summaries = clock, summaries
        self._memory_settings = memory_settings or MemorySettings()
        self._gate = gate or LLMGate()
        self._memory, self._llm, self._llm_settings = memory, llm, llm_settings
        self._update_interval = update_interval

    def answer(self, client: WebClient, mention: Mention) -> None:
        """Reply in the mention's thread. Never raises: failures end up in the reply as a notice.
        Returns once the question waits for the model: the answer is written on the LLM gate's thread."""
        deadline = time.monotonic() + self._llm_settings.answer_timeout
        question = strip_mention(mention.text, mention.bot_user_id)
        language = detect_language(question)
        wait = self.rate_limit.acquire(mention.team_id, mention.user)
        if wait:
            tell_limited(
                client,
                channel=mention.channel,
                user=mention.user,
                thread_ts=mention.thread_ts,
                seconds=wait,
                language=language,
            )
            return
        reply = ThreadReply(
            client,
            channel=mention.channel,
            thread_ts=mention.thread_ts,
            interval=self._update_interval,
            hooks=self.reply_hooks(mention),
        )
        try:
            reply.start(t("working", language))
        except SlackApiError as exc:
            log.error("cannot reply in %s: %s", mention.channel, exc.response.get("error"))
            return
        self._guarded(
            mention, language, reply, lambda: self._answer(client, mention, question, reply, deadline)
        )

    def reply_hooks(self, mention: Mention) -> ReplyHooks:
        """How the reply to `mention` reports its progress (the delivery journal overrides this)."""
        return ReplyHooks()

    def _guarded(
        self, mention: Mention, language: Language, reply: ThreadReply, step: Callable[[], None]
    ) -> None:
        try:
            step()
        except LLMError as exc:
            log.warning("LLM failed for %s/%s: %s", mention.channel, mention.ts, exc)
            key = "llm_timeout" if isinstance(exc, LLMTimeout) else "llm_down"
            partial = escape(reply.streamed.strip())
            notice = t(key, language, detail=str(exc))
            _finish_quietly(reply, f"{partial}\n\n{notice}" if partial else notice)
        except Exception as exc:
            log.exception("answering %s/%s failed", mention.channel, mention.ts)
            _finish_quietly(reply, t("internal_error", language, kind=type(exc).__name__))

    def _answer(
        self, client: WebClient, mention: Mention, question: str, reply: ThreadReply, deadline: float
    ) -> None:
        users = UserDirectory(self._memory.directory, mention.team_id)
        raw = fetch_thread(client, mention.channel, mention.thread_ts)
        records = [
            replace(r, subtype=OWN_REPLY) if m.get("user") == mention.bot_user_id else r
            for m in raw
            if (r := message_record(mention.team_id, mention.channel, m))
        ]
        self._memory.ingest(records)

        def name(user_id: str) -> str:
            return users.get(client, user_id).label

        def plain(text: str) -> str:  # what the model sees: readable, secrets redacted
            return self._memory.redactor.redact(to_plain_text(text, name)).text

        lines = [
            ThreadLine(_author(m, mention.bot_user_id, name), plain(m.get("text") or ""), _when(m))
            for m in raw
            if m["ts"] not in (mention.ts, reply.ts) and (m.get("text") or "").strip()
        ]
        asker = ThreadLine(name(mention.user), plain(question), _when({"ts": mention.ts}))
        language = detect_language(question)
        reply.show(t("recalling", language), force=True)
        recalled = recall_notes(
            self._memory,
            RecallQuery(mention.team_id, mention.channel, plain(question)),
            exclude_ts={str(m["ts"]) for m in raw},
            name=name,
        )
        brief = self._summaries.get_brief(mention.team_id, mention.channel) if self._summaries else None
        gap_days = _quiet_days(raw, mention.ts)
        if gap_days >= self._memory_settings.recap_after_days:
            asker = ThreadLine(
                asker.author, f"{asker.text}\n({t('recap_hint', language, days=gap_days)})", asker.when
            )

        def generate() -> None:
            info = self._llm.model_info()
            prompt = build_answer_prompt(
                lines,
                asker,
                channel=mention.channel,
                context_tokens=info.context_length,
                answer_tokens=self._llm_settings.max_answer_tokens,
                now=self._clock(),
                brief=brief or "",
                notes=recalled.notes,
                memory_tokens=self._memory_settings.answer_tokens,
            )
            reply.show(t("thinking", prompt.language), force=True)
            deltas = self._llm.stream_chat(prompt.messages, max_tokens=self._llm_settings.max_answer_tokens)
            text = reply.stream(
                until_deadline(deltas, deadline=deadline, seconds=self._llm_settings.answer_timeout)
            )
            body = _final_text(text, prompt.language, prompt.kept, prompt.omitted)
            footer = sources_footer(client, cited(text, prompt.notes_shown), recalled.hits, prompt.language)
            if not recalled.available:
                body += "\n\n" + t("memory_unavailable", prompt.language)
            reply.finish(f"{body}\n\n{footer}" if footer else body)

        self._queue(
            mention, language, reply, lambda: self._guarded(mention, language, reply, generate), deadline
        )

    def _queue(
        self,
        mention: Mention,
        language: Language,
        reply: ThreadReply,
        work: Callable[[], None],
        deadline: float,
    ) -> None:
        """Wait for the model in the channel's lane (see `LLMGate`), telling the asker their place."""
        waiting, seconds = self._gate.waiting, self._llm_settings.answer_timeout
        if waiting >= self._llm_settings.queue_limit:
            _finish_quietly(reply, t("llm_busy", language, detail=f"{waiting} questions are already waiting"))
            return
        self._gate.submit(
            mention.channel,
            work,
            on_wait=lambda position: reply.show(t("queued", language, position=position), force=True),
            deadline=deadline,
            on_expire=lambda: _finish_quietly(
                reply, t("llm_busy", language, detail=f"no turn within {seconds:g} s")
            ),
        )


def _author(msg: dict[str, Any], bot_user_id: str, name: Any) -> str:
    if msg.get("user") == bot_user_id or (msg.get("bot_id") and not msg.get("user")):
        return "Kiok (you)" if msg.get("user") == bot_user_id else (msg.get("username") or "bot")
    return str(name(msg.get("user") or "unknown"))


def _quiet_days(raw: list[dict[str, Any]], mention_ts: str) -> int:
    """Whole days between the mention and the thread message before it."""
    earlier = [float(m["ts"]) for m in raw if float(m["ts"]) < float(mention_ts)]
    return int((float(mention_ts) - max(earlier)) // 86400) if earlier else 0


def _when(msg: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(msg["ts"]), UTC)


def _final_text(text: str, language: Language, kept: int, omitted: int) -> str:
    body = escape(text.strip()) or t("empty_answer", language)
    if omitted:
        body += "\n\n" + t("truncated_note", language, kept=kept, omitted=omitted)
    return body


def _finish_quietly(reply: ThreadReply, text: str) -> None:
    try:
        reply.finish(text)
    except SlackApiError:
        log.exception("could not post the failure notice either")


__all__ = ["Mention", "MentionAnswerer"]
