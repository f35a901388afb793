"""Errors raised by the memory service. Messages say how to fix the problem."""


class StoreError(Exception):
    """Base class for memory-store failures."""


class DatabaseUnavailable(StoreError):
    """The SQL database cannot be reached or opened."""


class MigrationRequired(StoreError):
    """The database schema is older than this version of Kiok."""


__all__ = ["DatabaseUnavailable", "MigrationRequired", "StoreError"]


class EmbeddingUnavailable(StoreError):
    """The embedding model cannot be loaded: not on this machine, not downloadable, or a bad device."""


__all__ += ["EmbeddingUnavailable"]


class VectorStoreUnavailable(StoreError):
    """The vector index (Qdrant server or embedded shard) cannot be reached or opened."""


__all__ += ["VectorStoreUnavailable"]
