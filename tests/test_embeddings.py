"""Embedding backends against the real bundled models (MiniLM, USE multilingual), with the Hub offline."""

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from memory.config import BUNDLED_MINILM, EmbeddingSettings
from memory.embeddings import (
    Embedder,
    SentenceTransformerEmbedder,
    UniversalSentenceEncoderEmbedder,
    make_embedder,
)
from memory.errors import EmbeddingUnavailable

ENGLISH = [
    "The deployment to production failed last night.",
    "Prod deploy broke yesterday evening.",
    "I had pasta for lunch.",
    "Can we move the standup meeting to 10am?",
    "Alice reviewed PR 482 and merged it.",
    "",
]
# (English, Korean) pairs with the same meaning: deploys, lunch, meetings.
PAIRS = [
    ("The deploy to production failed last night.", "프로덕션 배포가 어젯밤에 실패했어요."),
    ("Let's get pasta for lunch.", "점심에 파스타 먹으러 가요."),
    ("Move the standup meeting to 10am.", "스탠드업 회의를 오전 10시로 옮겨요."),
]


@pytest.fixture(scope="module", autouse=True)
def _hub_offline() -> Iterator[None]:
    """No test may reach the network. huggingface_hub reads HF_HUB_OFFLINE once, at import, so the
    already-imported constant is set too."""
    import huggingface_hub.constants

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        yield


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    # batch_size 4 so that a handful of texts already spans several batches
    return make_embedder(EmbeddingSettings(model=BUNDLED_MINILM, batch_size=4))


@pytest.fixture(scope="module")
def use() -> Embedder:
    return make_embedder(EmbeddingSettings(backend="use-multilingual", batch_size=2))


def assert_unit_rows(vectors: np.ndarray, dimension: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape[1] == dimension
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_bundled_minilm_returns_unit_vectors(minilm: Embedder) -> None:
    vectors = minilm.embed_passages(ENGLISH)
    assert isinstance(minilm, SentenceTransformerEmbedder)
    assert vectors.shape == (len(ENGLISH), 384)
    assert_unit_rows(vectors, 384)
    assert minilm.dimension == 384
    assert minilm.model_id == BUNDLED_MINILM
    assert minilm.embed_query("deploy").shape == (384,)
    assert minilm.embed_passages([]).shape == (0, 384)


def test_minilm_batches_equal_single_embeds(minilm: Embedder) -> None:
    batched = minilm.embed_passages(ENGLISH)
    single = np.stack([minilm.embed_passages([t])[0] for t in ENGLISH])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_minilm_similar_sentences_score_higher(minilm: Embedder) -> None:
    failed, broke, lunch = minilm.embed_passages(ENGLISH[:3])
    assert float(failed @ broke) > float(failed @ lunch) + 0.3


def test_e5_models_get_query_and_passage_prefixes_by_default() -> None:
    e5 = EmbeddingSettings(model="intfloat/multilingual-e5-small")
    assert e5.prefixes() == ("query: ", "passage: ")
    assert EmbeddingSettings(model=BUNDLED_MINILM).prefixes() == ("", "")
    assert EmbeddingSettings(model="intfloat/multilingual-e5-small", query_prefix="q: ").prefixes() == (
        "q: ",
        "passage: ",
    )


def test_prefixes_are_applied(minilm: Embedder) -> None:
    settings = EmbeddingSettings(model=BUNDLED_MINILM, query_prefix="query: ", passage_prefix="passage: ")
    prefixed = make_embedder(settings)
    text = "why did the deploy fail"
    assert not np.allclose(prefixed.embed_query(text), minilm.embed_query(text), atol=1e-3)
    np.testing.assert_allclose(
        prefixed.embed_query(text), minilm.embed_passages([f"query: {text}"])[0], atol=1e-5
    )
    np.testing.assert_allclose(
        prefixed.embed_passages([text])[0], minilm.embed_passages([f"passage: {text}"])[0], atol=1e-5
    )


def test_use_embeds_korean_and_english(use: Embedder) -> None:
    texts = [t for pair in PAIRS for t in pair]
    vectors = use.embed_passages(texts)
    assert isinstance(use, UniversalSentenceEncoderEmbedder)
    assert use.model_id == "use-multilingual-v3"
    assert use.dimension == 512
    assert_unit_rows(vectors, 512)
    np.testing.assert_allclose(vectors, np.stack([use.embed_passages([t])[0] for t in texts]), atol=1e-5)


def test_use_cross_lingual_paraphrases_beat_unrelated(use: Embedder) -> None:
    english = use.embed_passages([en for en, _ in PAIRS])
    korean = use.embed_passages([ko for _, ko in PAIRS])
    sims = english @ korean.T
    for i in range(len(PAIRS)):
        unrelated = max(sims[i, j] for j in range(len(PAIRS)) if j != i)
        assert sims[i, i] > unrelated + 0.2, (PAIRS[i], sims)
    query = use.embed_query("배포 실패 원인이 뭐예요?")
    assert int(np.argmax(english @ query)) == 0


def test_missing_model_offline_fails_fast_naming_the_offline_choices(minilm: Embedder) -> None:
    started = time.monotonic()  # `minilm` has already paid for importing torch
    with pytest.raises(EmbeddingUnavailable) as caught:
        SentenceTransformerEmbedder(model="kiok-tests/no-such-model")
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "kiok-tests/no-such-model" in message
    assert "could not be downloaded" in message
    assert "KIOK_EMBEDDING__MODEL=bundled:all-MiniLM-L6-v2" in message
    assert "KIOK_EMBEDDING__BACKEND=use-multilingual" in message
    assert "kiok[offline-models]" in message


def test_missing_local_directory_is_named(minilm: Embedder, tmp_path: Path) -> None:
    missing = tmp_path / "models" / "none"
    with pytest.raises(EmbeddingUnavailable, match="does not exist"):
        SentenceTransformerEmbedder(model=str(missing))


def test_unusable_local_directory_is_named(minilm: Embedder, tmp_path: Path) -> None:
    with pytest.raises(EmbeddingUnavailable, match="Cannot load embedding model"):
        SentenceTransformerEmbedder(model=str(tmp_path))


@pytest.mark.parametrize("device", ["tpu9", "cuda:99"])
def test_unavailable_device_names_the_setting(minilm: Embedder, device: str) -> None:
    with pytest.raises(EmbeddingUnavailable, match="KIOK_EMBEDDING__DEVICE"):
        SentenceTransformerEmbedder(model=BUNDLED_MINILM, device=device)


def test_unknown_bundled_model_names_the_bundled_one() -> None:
    with pytest.raises(EmbeddingUnavailable, match=BUNDLED_MINILM):
        SentenceTransformerEmbedder(model="bundled:bge-m3")


def test_unknown_backend_lists_the_valid_ones() -> None:
    settings = EmbeddingSettings.model_construct(backend="word2vec", model=BUNDLED_MINILM)
    with pytest.raises(ValueError, match="word2vec") as caught:
        make_embedder(settings)
    assert "sentence-transformers" in str(caught.value)
    assert "use-multilingual" in str(caught.value)


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        UniversalSentenceEncoderEmbedder(batch_size=0)
