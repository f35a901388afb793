"""A per-user limit on answers, so one person (or a runaway script) cannot monopolise the shared model.

Counts answers (mentions, DMs, `/kiok ask`) per (team, user) in a sliding window of `window` seconds;
`per_window` = 0 turns the limit off. In memory on purpose: the limit protects one running Kiok's model,
and forgetting it on restart is harmless.
"""

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.i18n import t
from summarizer.language import Language

log = logging.getLogger(__name__)


class UserRateLimit:
    """At most `per_window` answers per user in any `window` seconds (0 = unlimited). Thread-safe."""

    def __init__(
        self, per_window: int = 0, *, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_window < 0 or window <= 0:
            raise ValueError("per_window must be >= 0 and window > 0")
        self.per_window, self.window, self._clock = per_window, window, clock
        self._used: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, team_id: str, user_id: str) -> int:
        """Count one answer for the user and return 0, or, when the user is over the limit, count
        nothing and return the whole seconds until the next answer is allowed (at least 1)."""
        if self.per_window == 0 or not user_id:
            return 0
        now = self._clock()
        with self._lock:
            self._forget_before(now - self.window)
            used = self._used.setdefault((team_id, user_id), deque())
            if len(used) >= self.per_window:
                return max(1, math.ceil(used[0] + self.window - now))
            used.append(now)
            return 0

    def _forget_before(self, cutoff: float) -> None:
        for key in list(self._used):
            used = self._used[key]
            while used and used[0] <= cutoff:
                used.popleft()
            if not used:
                del self._used[key]


def tell_limited(
    client: WebClient, *, channel: str, user: str, thread_ts: str, seconds: int, language: Language
) -> None:
    """Tell the person privately, in the thread they asked in, that they asked too often (never silence)."""
    text = t("rate_limited", language, seconds=seconds)
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    except SlackApiError as exc:
        log.warning("could not tell %s about the rate limit: %s", user, exc.response.get("error"))


__all__ = ["UserRateLimit", "tell_limited"]
