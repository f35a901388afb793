"""Strings of answers interrupted by a restart (English and Korean)."""

from summarizer.language import Language

STRINGS: dict[str, dict[Language, str]] = {
    "answer_interrupted": {
        "en": ":arrows_counterclockwise: I was restarted while answering this — answering again…",
        "ko": ":arrows_counterclockwise: 답변하는 중에 다시 시작됐어요. 다시 답변하는 중…",
    },
    "answer_failed": {
        "en": ":warning: I was restarted several times while answering this and could not finish. "
        "Please ask again.",
        "ko": ":warning: 답변하는 중에 여러 번 다시 시작되어 답변을 끝내지 못했어요. 다시 물어봐 주세요.",
    },
}

__all__ = ["STRINGS"]
