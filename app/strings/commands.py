"""Strings of the /kiok command and message shortcuts (English and Korean)."""

from summarizer.language import Language

STRINGS: dict[str, dict[Language, str]] = {}

__all__ = ["STRINGS"]
