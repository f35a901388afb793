"""Every user-facing string, in English and Korean. Only app/ words things for people.

Strings live in app/strings/<surface>.py; keys are unique across them (a test checks both languages).
"""

from app.strings import answers, commands, digests, recovery
from summarizer.language import Language

STRINGS: dict[str, dict[Language, str]] = {}
for _module in (answers, commands, digests, recovery):
    _clash = STRINGS.keys() & _module.STRINGS.keys()
    if _clash:
        raise RuntimeError(f"duplicate string keys in {_module.__name__}: {sorted(_clash)}")
    STRINGS.update(_module.STRINGS)


def t(key: str, language: Language, **values: object) -> str:
    """The string `key` in `language`, with `{placeholders}` filled."""
    return STRINGS[key][language].format(**values)


def language_of_locale(locale: str) -> Language:
    """Kiok's UI language for a Slack user locale ("ko-KR" -> Korean, anything else -> English)."""
    return "ko" if locale.lower().startswith("ko") else "en"


__all__ = ["STRINGS", "language_of_locale", "t"]
