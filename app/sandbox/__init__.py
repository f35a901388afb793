"""`kiok sandbox`: the Slack emulator, the real bot and a console in one process (no workspace, no GPU)."""

from app.sandbox.runtime import Sandbox, SandboxError, SandboxOptions

__all__ = ["Sandbox", "SandboxError", "SandboxOptions"]
