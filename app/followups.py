"""Which thread replies Kiok answers without being mentioned: only in channels whose policy enables
follow-ups, and only in threads where Kiok has already answered."""

from typing import Any

from memory.policies import PolicyStore
from memory.store import MessageStore


class Followups:
    def __init__(self, store: MessageStore, policies: PolicyStore) -> None:
        self._store, self._policies = store, policies

    def wants_answer(self, team_id: str, event: dict[str, Any]) -> bool:
        thread_ts, channel = event.get("thread_ts"), event.get("channel", "")
        if not thread_ts or thread_ts == event.get("ts"):
            return False
        if not self._policies.get(team_id, channel).followups:
            return False
        return self._store.kiok_replied_in(team_id, channel, str(thread_ts))


__all__ = ["Followups"]
