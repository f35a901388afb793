"""BM25-style sparse vectors for Qdrant's sparse index with the IDF modifier.

Qdrant multiplies by each term's IDF at query time, so a document carries BM25-saturated term
frequencies, `tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))`, and a query carries 1.0 per
unique term. Terms are hashed to uint32 ids with blake2b (stable across processes, unlike `hash()`).

What is indexed, after NFKC normalization and case folding, so that chat wording finds chat wording:
- words, split where Hangul/CJK meets other scripts (`PROJ-12가` -> `proj-12` + `가`);
- joined words as a whole and as parts: `PROJ-123` -> `proj-123`, `proj`, `123`; `v2.3` -> `v2.3`,
  `v2`, `3`, and also `2.3`; `foo_bar`, `alice's`, host names (`github.com`) alike;
- a tiny English stem next to the word (`deployed`, `deploys`, `deploying` -> `deploy`), so inflections
  meet while exact forms still score higher;
- PR and issue numbers in one form, `#482`, from `#482`, `PR 482`, `PR#482`, `issue 482`, `/pull/482`;
- the first 7 characters of long hex strings, so a short commit hash finds the full one;
- Hangul and CJK runs, which attach particles with no space (배포는, 배포가, 배포를): the whole run plus
  its character bigrams, so `배포` matches all three; a single-syllable run is kept as a unigram.
No stopwords are dropped: IDF already makes common terms cheap, and a query of common words still works.
URL schemes (`https://`) and `www.` are skipped; the host and path words are indexed like any other words.
"""

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from memory.vectors.base import SparseVector

# Terms in a typical chat message under this tokenizer: measured 27 for 20 English words, 29 for 12 Korean.
DEFAULT_AVG_DOC_LEN = 28.0
# Bump when tokenization changes, so indexes built with the old terms are known to be stale.
TOKENIZER_VERSION = 1

_CJK_RANGES = (
    "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"  # Hangul jamo and syllables
    "\u3040-\u30ff\u31f0-\u31ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
)
_CJK_RUN = f"[{_CJK_RANGES}]+"
_WORD_CHAR = rf"[^\W_{_CJK_RANGES}]"  # a word character that is neither `_` nor Hangul/CJK
_WORD = rf"{_WORD_CHAR}+(?:[-_.'’]{_WORD_CHAR}+)*"
_TOKEN_RE = re.compile(rf"(?P<cjk>{_CJK_RUN})|(?P<word>{_WORD})")
_PART_RE = re.compile(rf"{_WORD_CHAR}+")
_SCHEME_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://|\bwww\.")
_ISSUE_RES = (
    re.compile(r"(?<![a-z0-9_&])#(\d+)(?!\d)"),
    re.compile(r"(?<![a-z0-9])(?:pr|mr|pull request|merge request|issue)\s*[-#]?\s*(\d+)(?!\d)"),
    re.compile(r"/(?:pull|pulls|issues|merge_requests)/(\d+)(?!\d)"),
)
_VERSION_RE = re.compile(r"v\d+(?:\.\d+)+")
_HEX_RE = re.compile(r"(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}")
_VOWEL_RE = re.compile(r"[aeiouy]")
SHORT_HASH_LEN = 7


def stem(word: str) -> str:
    """A tiny English suffix stripper (plural -s/-es/-ies, -ed, -ing, final -e); other words unchanged."""
    if len(word) < 4 or not (word.isascii() and word.isalpha()):
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 3 and _VOWEL_RE.search(base):
            doubled = len(base) > 3 and base[-1] == base[-2] and base[-1] not in "aeioulsz"
            word = base[:-1] if doubled else base
            break
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


def _cjk_terms(run: str) -> Iterator[str]:
    if len(run) <= 2:
        yield run
        return
    yield run
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def _word_terms(word: str) -> Iterator[str]:
    parts = _PART_RE.findall(word)
    yield word
    if len(parts) > 1:
        yield from parts
    for part in parts:
        stemmed = stem(part)
        if stemmed != part:
            yield stemmed
    if _VERSION_RE.fullmatch(word):
        yield word[1:]
    if _HEX_RE.fullmatch(word):
        yield word[:SHORT_HASH_LEN]


def tokenize(text: str) -> list[str]:
    """Every term `text` indexes under, in order, with repeats (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    terms = [f"#{m.group(1).lstrip('0') or '0'}" for r in _ISSUE_RES for m in r.finditer(text)]
    for match in _TOKEN_RE.finditer(_SCHEME_RE.sub(" ", text)):
        cjk, word = match.group("cjk"), match.group("word")
        terms.extend(_cjk_terms(cjk) if cjk else _word_terms(word))
    return terms


@lru_cache(maxsize=1 << 16)
def term_id(term: str) -> int:
    """A stable uint32 id for `term` (blake2b, 4 bytes)."""
    digest = hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "little")


def _counts(text: str) -> Counter[int]:
    return Counter(term_id(t) for t in tokenize(text))


class SparseEncoder:
    """Turns text into BM25 sparse vectors: documents weighted by saturated term frequency, queries flat.

    `k1` sets how fast repeats saturate, `b` how much long messages are discounted relative to
    `avg_doc_len` terms (documents are encoded one at a time, so the average is a fixed setting).
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, avg_doc_len: float = DEFAULT_AVG_DOC_LEN) -> None:
        if not (k1 >= 0 and 0 <= b <= 1 and avg_doc_len > 0):
            raise ValueError(f"Need k1 >= 0, 0 <= b <= 1, avg_doc_len > 0; got {k1=}, {b=}, {avg_doc_len=}")
        self.k1, self.b, self.avg_doc_len = k1, b, avg_doc_len

    @property
    def model_id(self) -> str:
        """Names tokenizer and weighting, for content hashes: when it changes, documents need re-encoding."""
        return f"kiok-bm25-v{TOKENIZER_VERSION}(k1={self.k1},b={self.b},avg={self.avg_doc_len})"

    def encode_document(self, text: str, context: str = "", context_weight: float = 0.0) -> SparseVector:
        """Vector for stored text: BM25-saturated term frequencies (Qdrant applies the IDF).

        Terms found only in `context` (a reply's thread opening) count `context_weight` times as much as
        the text's own: the reply can be found by its thread's topic, below the message that states it.
        """
        weights = self._weights(_counts(text))
        if context and context_weight > 0:
            for i, v in self._weights(_counts(context)).items():
                weights.setdefault(i, v * context_weight)
        indices = sorted(weights)
        return SparseVector(indices=indices, values=[weights[i] for i in indices])

    def _weights(self, counts: Counter[int]) -> dict[int, float]:
        length = sum(counts.values())
        norm = self.k1 * (1 - self.b + self.b * length / self.avg_doc_len)
        return {i: c * (self.k1 + 1) / (c + norm) for i, c in counts.items()}

    def encode_query(self, text: str) -> SparseVector:
        """Vector for a search query: 1.0 per unique term."""
        indices = sorted(set(_counts(text)))
        return SparseVector(indices=indices, values=[1.0] * len(indices))


def score(query: SparseVector, document: SparseVector, idf: dict[int, float] | None = None) -> float:
    """Dot product of two sparse vectors, each term weighted by `idf` when given (as Qdrant scores)."""
    weights = dict(zip(document.indices, document.values, strict=True))
    return math.fsum(
        v * weights[i] * (idf.get(i, 1.0) if idf else 1.0)
        for i, v in zip(query.indices, query.values, strict=True)
        if i in weights
    )


__all__ = [
    "DEFAULT_AVG_DOC_LEN",
    "TOKENIZER_VERSION",
    "SparseEncoder",
    "score",
    "stem",
    "term_id",
    "tokenize",
]
