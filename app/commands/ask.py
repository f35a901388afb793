"""`/kiok ask <question>`: answer from the channel's memory, privately unless shared.

The same machinery as a mention answer, without a thread: notes recalled from the channel's memory
(`app.grounding`), the channel's brief, the answer prompt, the model; the notes the answer cites become
permalinks under it. The reply is in the question's language, like a mention's.
"""

import logging
import time
from datetime import UTC, datetime

from app.blocks.commands import Payload, answer_message, notice
from app.commands.context import CommandContext
from app.commands.parser import MAX_QUERY_CHARS, ParsedCommand, parse_text
from app.grounding import cited, recall_notes
from app.i18n import t
from app.slack_text import escape
from memory.retrieval import RecallHit, RecallQuery
from summarizer.answering import ThreadLine, build_answer_prompt
from summarizer.errors import LLMError, LLMTimeout
from summarizer.language import detect_language
from summarizer.llm.deadline import until_deadline

log = logging.getLogger(__name__)


def ask(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    deadline = time.monotonic() + ctx.services.settings.llm.answer_timeout
    question = parse_text("ask", parsed.args, limit=MAX_QUERY_CHARS)
    language = detect_language(question, default=ctx.language)
    services = ctx.services
    wait = services.mentions.rate_limit.acquire(ctx.team_id, ctx.user_id)  # one budget with mentions
    if wait:
        return notice(t("rate_limited", language, seconds=wait))
    plain = ctx.plain(question)
    recalled = recall_notes(
        services.memory,
        RecallQuery(ctx.team_id, ctx.channel_id, plain),
        exclude_ts=set(),
        name=ctx.label,
    )
    brief = services.summaries.worker.summaries.get_brief(ctx.team_id, ctx.channel_id) or ""
    channel = services.memory.directory.get_channel(ctx.team_id, ctx.channel_id)
    asker = ThreadLine(ctx.asker.label, plain, ctx.now())
    llm_settings = services.settings.llm
    try:
        prompt = build_answer_prompt(
            [],
            asker,
            channel=channel.name if channel and channel.name else ctx.channel_id,
            context_tokens=services.llm.model_info().context_length,
            answer_tokens=llm_settings.max_answer_tokens,
            now=ctx.now(),
            tz=ctx.tz,
            brief=brief,
            notes=recalled.notes,
            memory_tokens=services.settings.memory.answer_tokens,
        )
        # Waits in line with mentions (this channel's lane) and gives up, like a mention, at the deadline.
        with services.llm_gate.turn(lane=ctx.channel_id, deadline=deadline):
            deltas = services.llm.stream_chat(
                prompt.messages,
                max_tokens=llm_settings.max_answer_tokens,
                temperature=llm_settings.temperature,
            )
            text = "".join(until_deadline(deltas, deadline=deadline, seconds=llm_settings.answer_timeout))
    except TimeoutError:
        return notice(t("llm_busy", language, detail=f"no turn within {llm_settings.answer_timeout:g} s"))
    except LLMError as exc:
        log.warning("LLM failed for /kiok ask in %s: %s", ctx.channel_id, exc)
        key = "llm_timeout" if isinstance(exc, LLMTimeout) else "llm_down"
        return notice(t(key, language, detail=str(exc)))
    body = escape(text.strip()) or t("cmd_ask_empty", language)
    if not recalled.available:
        body += "\n\n" + t("cmd_ask_no_memory", language)
    sources = [_source(ctx, n, recalled.hits[n], language) for n in cited(text, prompt.notes_shown)]
    return answer_message(
        language,
        asker=ctx.user_id,
        question=escape(plain),
        answer=body,
        sources=sources,
        public=parsed.share,
    )


def _source(ctx: CommandContext, number: int, hit: RecallHit, language: str) -> str:
    ts = hit.sources[0] if hit.sources else hit.ts
    when = datetime.fromtimestamp(float(ts), UTC).astimezone(ctx.tz)
    label = f"[{number}] {when:%Y-%m-%d}" if language == "ko" else f"[{number}] {when:%a %d %b}"
    url = ctx.permalink(hit.channel, ts)
    return f"<{url}|{label}>" if url else f"{label} <#{hit.channel}>"


__all__ = ["ask"]
