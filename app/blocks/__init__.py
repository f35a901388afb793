"""Pure functions that build Block Kit payloads (no Slack calls, no storage)."""
