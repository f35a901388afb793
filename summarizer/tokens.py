"""Token counting without the model's tokenizer: a deliberately conservative estimate.

Where the server can tokenize (llama-cpp-python, llama-server, vLLM: `LLMClient.count_tokens`), the summarizer
measures each job's prompt once and scales this estimate up when the model counts more
(`Summarizer.tokenizer_ratio`): the estimate over-counts English words but under-counts digits.

Kiok cannot ask Ollama to tokenize, so prompts are sized with an estimate that over-counts: about three
ASCII characters per token (real tokenizers average about four for English) and one token per non-ASCII
character (Hangul syllables and CJK take one to two characters per token in Gemma/Llama vocabularies).
"""

import math

PER_MESSAGE_OVERHEAD = 6  # role markers and separators the chat template adds


def estimate_tokens(text: str) -> int:
    """An upper-leaning estimate of how many tokens `text` takes."""
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return math.ceil(ascii_chars / 3) + (len(text) - ascii_chars)


def truncate_to_tokens(text: str, budget: int, marker: str = " […]") -> str:
    """The longest prefix of `text` whose estimate fits in `budget` tokens, marked as cut."""
    if estimate_tokens(text) <= budget:
        return text
    room = max(0, budget - estimate_tokens(marker))
    lo, hi = 0, len(text)
    while lo < hi:  # binary search on the prefix length
        mid = (lo + hi + 1) // 2
        if estimate_tokens(text[:mid]) <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + marker


__all__ = ["PER_MESSAGE_OVERHEAD", "estimate_tokens", "truncate_to_tokens"]
