"""The derived vector index: one interface (`VectorStore`), an embedded and a server backend, picked by
`VectorSettings.backend` through `make_vector_store`. Call `ensure()` on the result before using it."""

import math
from collections.abc import Callable
from pathlib import Path

from memory.config import VectorSettings
from memory.vectors.base import (
    PAYLOAD_FIELDS,
    IndexMismatch,
    ScopeFilter,
    SearchMode,
    SparseVector,
    VectorHit,
    VectorPoint,
    VectorStore,
)


def _embedded(settings: VectorSettings, data_dir: Path) -> VectorStore:
    from memory.vectors.edge import EdgeVectorStore

    root = settings.path if settings.path is not None else data_dir / "qdrant"
    return EdgeVectorStore(path=root / settings.collection)


def _server(settings: VectorSettings, data_dir: Path) -> VectorStore:
    if not settings.url:
        raise ValueError(
            "KIOK_VECTOR__BACKEND=server needs the Qdrant server's address: set KIOK_VECTOR__URL "
            "(e.g. http://qdrant:6333), or use KIOK_VECTOR__BACKEND=embedded."
        )
    from qdrant_client import QdrantClient

    from memory.vectors.server import ServerVectorStore

    api_key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    # Whole seconds, used by every REST call. No version probe from a background thread at construction:
    # ensure() is the first call and reports an unreachable server with a message that says what to set.
    client = QdrantClient(
        url=settings.url, api_key=api_key, timeout=math.ceil(settings.timeout), check_compatibility=False
    )
    return ServerVectorStore(client=client, collection=settings.collection, url=settings.url)


FACTORIES: dict[str, Callable[[VectorSettings, Path], VectorStore]] = {
    "embedded": _embedded,
    "server": _server,
}


def make_vector_store(settings: VectorSettings, *, data_dir: Path) -> VectorStore:
    """The backend `settings.backend` names (not yet ensured). The embedded index lives in
    `<settings.path or data_dir/qdrant>/<settings.collection>`."""
    factory = FACTORIES.get(settings.backend)
    if factory is None:
        raise ValueError(
            f"Unknown vector backend {settings.backend!r}; valid: {', '.join(sorted(FACTORIES))} "
            "(KIOK_VECTOR__BACKEND)"
        )
    return factory(settings, Path(data_dir))


__all__ = [
    "FACTORIES",
    "PAYLOAD_FIELDS",
    "IndexMismatch",
    "ScopeFilter",
    "SearchMode",
    "SparseVector",
    "VectorHit",
    "VectorPoint",
    "VectorStore",
    "make_vector_store",
]
