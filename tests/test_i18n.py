"""Every user-facing string exists in English and Korean, with the same placeholders."""

import string

from app.i18n import STRINGS, language_of_locale


def test_every_string_has_both_languages_with_the_same_placeholders() -> None:
    for key, versions in STRINGS.items():
        assert set(versions) == {"en", "ko"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in versions.values()]
        assert fields[0] == fields[1], f"{key}: placeholders differ between languages"


def test_locale_picks_the_language() -> None:
    assert language_of_locale("ko-KR") == "ko" and language_of_locale("en-US") == "en"
    assert language_of_locale("") == "en"
