"""Slack markup cleaning and message splitting."""

from app.slack_text import MESSAGE_TEXT_LIMIT, escape, split_message, strip_mention, to_plain_text

NAMES = {"U1": "Alice", "U2": "민수"}


def test_markup_becomes_plain_text() -> None:
    raw = (
        "<@U1> ask <@U2> in <#C9|release> &amp; see <https://x.io/a|the doc> or <https://y.io> "
        "<!here> <!subteam^S1|@infra>"
    )
    assert to_plain_text(raw, NAMES.__getitem__) == (
        "@Alice ask @민수 in #release & see the doc (https://x.io/a) or https://y.io @here @infra"
    )


def test_strip_mention_removes_only_the_bot() -> None:
    assert strip_mention("<@UBOT> what did <@U1> say?", "UBOT") == "what did <@U1> say?"


def test_escape_prevents_mass_mentions_from_model_output() -> None:
    assert escape("<!channel> a & b") == "&lt;!channel&gt; a &amp; b"


def test_split_keeps_every_character_within_limit() -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "word " * 150 for i in range(20))
    chunks = split_message(text)
    assert len(chunks) > 1 and all(len(c) <= MESSAGE_TEXT_LIMIT for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_split_never_leaves_a_code_fence_open() -> None:
    text = "intro\n```\n" + "\n".join(f"line {i} " + "x" * 60 for i in range(200)) + "\n```\ndone"
    chunks = split_message(text, limit=2000)
    assert len(chunks) > 2
    assert all(c.count("```") % 2 == 0 for c in chunks)


def test_split_short_text_is_one_chunk() -> None:
    assert split_message("hi") == ["hi"]
