"""The `/kiok` command and message shortcuts: parsing, one handler module per subcommand group, and the
ack/response plumbing. Listeners only translate Slack payloads into `CommandContext` and call in here."""

from app.commands.context import CommandContext, Invocation
from app.commands.dispatch import answer_command, replace_reply, run_command, run_safely

__all__ = ["CommandContext", "Invocation", "answer_command", "replace_reply", "run_command", "run_safely"]
