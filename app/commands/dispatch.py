"""Route a parsed `/kiok` to its handler, turn usage errors into usage replies, and ack in time.

Slack wants an ack within 3 seconds. A reply that is ready within ACK_DEADLINE seconds is the ack itself
(no "working…" noise); a slower one (the model, a cold embedding model, many permalinks) is acked with a
short "working…" note and sent to the command's response_url when done. `ask` always takes the slow path.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from slack_bolt import Ack, Respond

from app.blocks.commands import Payload, help_message, notice, usage_message
from app.commands.ask import ask
from app.commands.catchup import catchup
from app.commands.context import CommandContext
from app.commands.digest import digest
from app.commands.facts import remember
from app.commands.forget import forget, optin, optout
from app.commands.parser import ParsedCommand, UsageError, parse_command
from app.commands.recall import recall
from app.commands.views import brief, decisions, status
from app.i18n import t
from summarizer.language import Language, detect_language

log = logging.getLogger(__name__)

ACK_DEADLINE = 2.0

Handler = Callable[[CommandContext, ParsedCommand], Payload]
HANDLERS: dict[str, Handler] = {
    "ask": ask,
    "recall": recall,
    "remember": remember,
    "forget": forget,
    "decisions": decisions,
    "brief": brief,
    "catchup": catchup,
    "digest": digest,
    "optout": optout,
    "optin": optin,
    "status": status,
}
ALWAYS_SLOW = frozenset({"ask"})


def run_command(ctx: CommandContext, parsed: ParsedCommand) -> Payload:
    """The reply to one `/kiok` use. Never raises: failures become an ephemeral notice."""

    def work() -> Payload:
        if parsed.name == "help":
            return help_message(ctx.language, unknown=parsed.unknown)
        return HANDLERS[parsed.name](ctx, parsed)

    return run_safely(ctx, work)


def run_safely(ctx: CommandContext, work: Callable[[], Payload]) -> Payload:
    """`work()`, with usage errors worded for the person and anything unexpected logged and reported."""
    try:
        return work()
    except UsageError as exc:
        language = safe_language(ctx)
        problem = t(exc.problem, language, **exc.values) if exc.problem else ""
        return usage_message(language, exc.command, problem)
    except Exception as exc:
        log.exception("/kiok failed for %s in %s", ctx.user_id, ctx.channel_id)
        return notice(t("cmd_error", safe_language(ctx), kind=type(exc).__name__))


def safe_language(ctx: CommandContext) -> Language:
    try:
        return ctx.language
    except Exception:  # the directory itself is failing: English rather than no reply at all
        return "en"


def answer_command(ctx: CommandContext, *, ack: Ack, respond: Respond) -> None:
    """Parse `ctx.invocation.text`, then reply within Slack's ack window (see the module docstring)."""
    parsed = parse_command(ctx.invocation.text)
    language = safe_language(ctx)
    if parsed.name == "ask":
        language = detect_language(parsed.args, default=language)
    reply_in_time(
        ack,
        respond,
        lambda: run_command(ctx, parsed),
        working=notice(t("cmd_working", language)),
        deadline=0.0 if parsed.name in ALWAYS_SLOW else ACK_DEADLINE,
    )


def reply_in_time(
    ack: Ack, respond: Respond, work: Callable[[], Payload], *, working: Payload, deadline: float
) -> None:
    """Ack with `work()`'s reply if it is ready within `deadline` seconds, else ack with `working` and
    send the reply through the response_url when it is ready."""
    future: Future[Payload] = Future()

    def target() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the waiting thread, which logs it
            future.set_exception(exc)

    threading.Thread(target=target, name="kiok-command", daemon=True).start()
    try:
        payload = future.result(timeout=deadline) if deadline > 0 else None
    except TimeoutError:
        payload = None
    if payload is not None:
        ack(**payload)
        return
    ack(**working)
    respond(future.result())


def replace_reply(respond: Respond, payload: Payload) -> None:
    """Replace the message a button was clicked in; post a new ephemeral one if it cannot be replaced."""
    sent: Any = respond({**payload, "replace_original": True})
    if getattr(sent, "status_code", 200) != 200:
        respond(payload)


__all__ = [
    "ACK_DEADLINE",
    "HANDLERS",
    "answer_command",
    "replace_reply",
    "reply_in_time",
    "run_command",
    "run_safely",
]
