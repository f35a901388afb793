"""The one interface every embedding backend implements."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(ABC):
    """Turns text into unit-length float32 vectors; higher dot product = more similar.

    Subclasses implement `_encode`; prefixes (E5's `query: ` / `passage: `) are applied here.
    """

    def __init__(self, *, model_id: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        self.model_id = model_id
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix

    @abstractmethod
    def _encode(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts` (already prefixed) as a (len(texts), dimension) array of unit vectors."""

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Vectors for stored text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode([self._passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> Vectors:
        """The vector (1-D) for one search query."""
        vector: Vectors = self._encode([self._query_prefix + text])[0]
        return vector

    @cached_property
    def dimension(self) -> int:
        return int(self._encode(["dimension probe"]).shape[1])


__all__ = ["Embedder", "Vectors"]
