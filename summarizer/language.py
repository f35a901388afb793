"""Which language a piece of text is in: Korean or English (the two Kiok supports today)."""

from typing import Literal

Language = Literal["ko", "en"]

LANGUAGE_NAMES: dict[Language, str] = {"ko": "Korean (한국어)", "en": "English"}


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def detect_language(text: str, default: Language = "en") -> Language:
    """Korean when Hangul makes up at least a fifth of the letters, else English.

    Korean questions often carry English product names and ticket ids, so a minority of Hangul
    letters still means the asker writes Korean.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return default
    hangul = sum(1 for ch in letters if _is_hangul(ch))
    return "ko" if hangul / len(letters) >= 0.2 else "en"


__all__ = ["LANGUAGE_NAMES", "Language", "detect_language"]
