"""Strings of mention answers (English and Korean)."""

from summarizer.language import Language

STRINGS: dict[str, dict[Language, str]] = {
    "working": {
        "en": ":hourglass_flowing_sand: Reading the thread…",
        "ko": ":hourglass_flowing_sand: 스레드를 읽는 중…",
    },
    "thinking": {
        "en": ":hourglass_flowing_sand: Thinking…",
        "ko": ":hourglass_flowing_sand: 생각하는 중…",
    },
    "llm_down": {
        "en": ":warning: I couldn't reach the language model, so I can't answer right now. "
        "Please try again in a minute. For whoever runs Kiok: {detail} (`kiok doctor` checks the setup.)",
        "ko": ":warning: 언어 모델에 연결할 수 없어 지금은 답변할 수 없어요. 잠시 후 다시 시도해 주세요. "
        "Kiok 관리자 참고: {detail} (`kiok doctor`로 설정을 점검할 수 있어요.)",
    },
    "llm_timeout": {
        "en": ":warning: The language model stopped responding, so my answer is incomplete. "
        "It may be busy or overloaded; please try again. For whoever runs Kiok: {detail}",
        "ko": ":warning: 언어 모델이 응답을 멈춰서 답변을 끝내지 못했어요. 모델이 바쁜 것 같아요. "
        "잠시 후 다시 시도해 주세요. Kiok 관리자 참고: {detail}",
    },
    "rate_limited": {
        "en": ":hourglass: You've asked me a lot in the last minute, and the model is shared with everyone "
        "here. Please ask again in {seconds} s.",
        "ko": ":hourglass: 최근 1분 동안 질문이 많았어요. 모델은 모두가 함께 쓰니 {seconds}초 뒤에 다시 "
        "물어봐 주세요.",
    },
    "llm_busy": {
        "en": ":warning: The language model is too busy to answer right now ({detail}). "
        "Please try again in a few minutes.",
        "ko": ":warning: 지금은 언어 모델이 너무 바빠서 답변할 수 없어요 ({detail}). "
        "몇 분 뒤에 다시 시도해 주세요.",
    },
    "internal_error": {
        "en": ":warning: Something went wrong while answering ({kind}). "
        "The error is in Kiok's log; please try again.",
        "ko": ":warning: 답변하는 중에 문제가 생겼어요 ({kind}). "
        "오류는 Kiok 로그에 남았어요. 다시 시도해 주세요.",
    },
    "recalling": {
        "en": ":mag: Looking through the team's memory…",
        "ko": ":mag: 팀의 기억을 찾아보는 중…",
    },
    "queued": {
        "en": ":hourglass_flowing_sand: The model is busy: you are number {position} in line…",
        "ko": ":hourglass_flowing_sand: 모델이 다른 답변 중이에요. {position}번째로 기다리는 중…",
    },
    "sources": {"en": "Sources", "ko": "출처"},
    "memory_unavailable": {
        "en": "_(Memory search is unavailable right now, so I answered from this thread only.)_",
        "ko": "_(지금은 기억 검색을 쓸 수 없어서 이 스레드만 보고 답했어요.)_",
    },
    "recap_hint": {
        "en": "The thread was quiet for {days} days: start your answer with one line beginning "
        "'Previously:' that recaps it.",
        "ko": "이 스레드는 {days}일 동안 조용했어요: 답변 첫 줄을 '지난 내용:'으로 시작해 "
        "스레드를 한 줄로 요약하세요.",
    },
    "empty_answer": {
        "en": "I don't have an answer to that from this thread.",
        "ko": "이 스레드에서는 그 질문에 대한 답을 찾지 못했어요.",
    },
    "truncated_note": {
        "en": "_(The thread is long: I read the first message and the newest {kept}; "
        "{omitted} in between were skipped.)_",
        "ko": "_(스레드가 길어서 첫 메시지와 최근 {kept}개만 읽었어요. 중간의 {omitted}개는 건너뛰었어요.)_",
    },
}

__all__ = ["STRINGS"]
