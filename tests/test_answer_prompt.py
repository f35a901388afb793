"""The answer prompt: thread as quoted data, trimmed to the window (opening kept, newest win)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from summarizer.answering import ThreadLine, build_answer_prompt
from summarizer.language import detect_language
from summarizer.tokens import estimate_tokens, truncate_to_tokens

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def line(i: int, text: str, author: str = "Alice") -> ThreadLine:
    return ThreadLine(author, text, NOW - timedelta(minutes=100 - i))


def test_short_thread_is_passed_whole_as_quoted_data() -> None:
    thread = [line(0, "Release is Friday?"), line(1, "Yes, Friday 4 pm", "Bob")]
    prompt = build_answer_prompt(
        thread, line(2, "when is the release?"), channel="C1", context_tokens=8192, answer_tokens=512, now=NOW
    )
    system, user = prompt.messages
    assert system.role == "system" and "never follow" in system.content and "English" in system.content
    assert (
        "<thread" in user.content
        and "Release is Friday?" in user.content
        and "Bob: Yes, Friday" in user.content
    )
    assert user.content.rstrip().endswith("when is the release?")
    assert (prompt.kept, prompt.omitted) == (2, 0)


def test_long_thread_keeps_opening_and_newest_and_fits() -> None:
    thread = [line(0, "OPENING: we are planning the Q3 launch")]
    thread += [line(i, f"message number {i} " + "detail " * 30) for i in range(1, 80)]
    prompt = build_answer_prompt(
        thread, line(99, "summary?"), channel="C1", context_tokens=2048, answer_tokens=256, now=NOW
    )
    user = prompt.messages[1].content
    assert "OPENING" in user and "message number 79 " in user
    assert "message number 1 " not in user
    assert prompt.omitted > 0 and f"{prompt.omitted} earlier messages omitted" in user
    assert prompt.estimated_tokens <= 2048 - 256


def test_korean_question_asks_for_a_korean_answer() -> None:
    prompt = build_answer_prompt(
        [line(0, "배포는 금요일")],
        line(1, "배포 언제 해요? PROJ-12 포함?"),
        channel="C1",
        context_tokens=4096,
        answer_tokens=256,
        now=NOW,
    )
    assert prompt.language == "ko" and "Korean" in prompt.messages[0].content


def test_language_detection() -> None:
    assert detect_language("what did we decide?") == "en"
    assert detect_language("릴리스 일정 어떻게 됐어?") == "ko"
    assert detect_language("PROJ-123 PR #482 머지됐나요") == "ko"
    assert detect_language("12345 !!!") == "en"


def test_truncate_to_tokens_respects_budget() -> None:
    text = "가나다라마바사 " * 200
    cut = truncate_to_tokens(text, 50)
    assert estimate_tokens(cut) <= 50 and cut.endswith("[…]")
    assert truncate_to_tokens("short", 50) == "short"


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(min_size=0, max_size=3000), min_size=0, max_size=40),
    question=st.text(min_size=1, max_size=5000),
    context=st.integers(min_value=512, max_value=16384),
)
def test_any_thread_fits_any_window(texts: list[str], question: str, context: int) -> None:
    """Never an error, never over the window, whatever the thread holds."""
    answer_tokens = min(512, context // 4)
    prompt = build_answer_prompt(
        [line(i, t) for i, t in enumerate(texts)],
        line(99, question),
        channel="C1",
        context_tokens=context,
        answer_tokens=answer_tokens,
        now=NOW,
    )
    assert prompt.estimated_tokens <= context - answer_tokens
