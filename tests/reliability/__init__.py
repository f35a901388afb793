"""Reliability tests: failures, load, abuse and bad input (docs/reliability.md)."""
