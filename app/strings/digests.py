"""Strings of digests and App Home (English and Korean). Keys must be unique across app/strings."""

from summarizer.language import Language

STRINGS: dict[str, dict[Language, str]] = {}

__all__ = ["STRINGS"]
