"""The summarizer against the real Gemma 3 270M (llama.cpp): schema-constrained extraction must validate,
and a batch call must be accepted and parsed.

The model is a base model: the content is meaningless and is not asserted; the plumbing is.
"""

from typing import Any

import pytest

from summarizer.batch import SegmentInput, summarize_batch
from summarizer.llm.base import LLMClient
from summarizer.pipeline import Line, LiveItem, Summarizer
from summarizer.schemas import Extraction
from tests.test_llm_real import openai_real  # noqa: F401  (fixture)

pytestmark = pytest.mark.llm_real

THREAD = [
    Line(
        1,
        "1.0",
        "Alice",
        "Release planning for v2.3: we ship on Friday [2026-11-27 Fri].",
        "2026-11-23 Mon 09:00",
    ),
    Line(2, "2.0", "Carol", "I will fix PROJ-482 by Wednesday [2026-11-25 Wed].", "2026-11-23 Mon 09:05"),
    Line(3, "3.0", "민수", "배포는 금요일로 확정했어요.", "2026-11-23 Mon 09:07"),
]


def test_real_model_extraction_is_schema_valid(openai_real: LLMClient) -> None:  # noqa: F811
    """Through llama.cpp's OpenAI server. (Its Ollama shim samples our full Extraction grammar at well under
    one token per second on 2 cores, so that path is covered with a small schema in test_llm_real.py.)"""
    result = Summarizer(openai_real, max_output_tokens=200).summarize(
        THREAD, channel="release", language="English", decisions=[LiveItem("D1", "Ship on Thursday")]
    )
    assert result.structured, "constrained decoding must produce schema-valid JSON (no plain-text fallback)"
    assert isinstance(result.extraction, Extraction)
    assert result.usage.calls <= 2 and result.usage.input_tokens > 0 and result.usage.output_tokens > 0


def test_real_model_batch_call_accepts_the_batch_schema(openai_real: LLMClient) -> None:  # noqa: F811
    """llama.cpp must accept the batch grammar (segment ids as an enum, exact item counts), and whatever
    the tiny model writes must come back parsed, repaired once or as the plain-text fallback. (A small
    answer budget: the base model fills any budget inside a JSON string, which then fails to close.)"""
    segments = [SegmentInput("S1", "Mon 23 Nov", tuple(THREAD))]
    result = summarize_batch(
        Summarizer(openai_real, max_output_tokens=100), segments, channel="release", language="English"
    )
    assert result.calls == 1 and 1 <= result.usage.calls <= 3  # one call; at most a repair and the fallback
    assert set(result.summaries) <= {"S1"}  # no invented segment ids, even from the fallback
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0


def test_real_server_tokenizes_with_the_models_own_vocabulary(
    openai_real: LLMClient,  # noqa: F811
    gemma_llama: Any,
) -> None:
    texts = ["12. Alice: we ship on Friday [2026-11-27 Fri].", "배포는 금요일로 확정했어요."]
    expected = [len(gemma_llama.tokenize(t.encode(), special=True)) for t in texts]  # with its BOS, as served
    assert openai_real.count_tokens(texts) == expected  # llama-cpp-python's /extras/tokenize
    assert Summarizer(openai_real).tokenizer_ratio(texts) >= 1.0
