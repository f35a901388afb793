"""The BM25 sparse encoder: what chat text becomes findable, and the vectors Qdrant expects."""

import hashlib
import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memory.sparse import SparseEncoder, score, stem, term_id, tokenize
from memory.vectors.base import SparseVector

ENCODER = SparseEncoder()


def shared(query: str, document: str) -> set[int]:
    """Term ids a query and a document have in common (what Qdrant's sparse search can match on)."""
    return set(ENCODER.encode_query(query).indices) & set(ENCODER.encode_document(document).indices)


def weight(vector: SparseVector, term: str) -> float:
    return dict(zip(vector.indices, vector.values, strict=True)).get(term_id(term), 0.0)


@pytest.mark.parametrize("document", ["배포는 끝났어요", "배포가 실패했어요", "오늘 배포를 했어요", "배포"])
def test_korean_particles_still_match_the_bare_word(document: str) -> None:
    assert term_id("배포") in shared("배포", document)


def test_korean_query_with_particle_matches_other_particle() -> None:
    assert term_id("배포") in shared("배포는 언제 해요?", "어제 배포를 했어요")


def test_single_syllable_korean_word_is_indexed() -> None:
    assert term_id("왜") in shared("왜", "왜 실패했지")


def test_ticket_id_matches_whole_id_not_a_neighbouring_ticket() -> None:
    query = ENCODER.encode_query("PROJ-123")
    same, other = (
        ENCODER.encode_document("Fixed PROJ-123 today"),
        ENCODER.encode_document("Fixed PROJ-124 today"),
    )
    assert term_id("proj-123") in shared("PROJ-123", "Fixed PROJ-123 today")
    assert term_id("proj-123") not in other.indices
    assert shared("PROJ-123", "Fixed PROJ-124 today") < shared("PROJ-123", "Fixed PROJ-123 today")
    assert score(query, same) > score(query, other)


def test_ticket_id_parts_are_findable() -> None:
    assert {term_id("proj"), term_id("123")} <= shared("proj 123", "see PROJ-123")


def test_mixed_script_token_splits_at_the_script_boundary() -> None:
    terms = tokenize("PROJ-12가 v2.3에서 API를")
    assert {"proj-12", "가", "v2.3", "에서", "api", "를"} <= set(terms)


@pytest.mark.parametrize(
    "document",
    ["PR 482 is merged", "pr#482", "PR-482", "https://github.com/a/b/pull/482", "#482번", "이슈#482 확인"],
)
def test_pr_numbers_match_in_any_spelling(document: str) -> None:
    assert term_id("#482") in shared("#482", document)
    assert term_id("#482") in shared("PR 482", document)


def test_pr_number_does_not_match_html_entity_or_longer_number() -> None:
    assert term_id("#482") not in ENCODER.encode_document("&#482; and #4821").indices


def test_version_strings_match_with_and_without_v() -> None:
    assert term_id("v2.3") in shared("v2.3", "released v2.3 today")
    assert term_id("2.3") in shared("v2.3", "release 2.3 is out")


def test_url_host_and_path_words_are_indexed_but_not_the_scheme() -> None:
    terms = tokenize("<https://www.github.com/acme/kiok/issues/7|the bug>")
    assert {"github.com", "github", "acme", "kiok", "issues", "#7", "bug"} <= set(terms)
    assert "https" not in terms


def test_short_commit_hash_finds_the_full_one() -> None:
    assert term_id("3f2a9c1") in shared("3f2a9c1", "reverted 3f2a9c1d8e7b6a5f")
    assert "deadbeefcafe"[:7] not in tokenize("deadbeefcafe")  # letters only: a word, not a hash


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("deploy deploys deployed deploying", "deploy"),
        ("merge merged merging merges", "merg"),
        ("reply replies", "reply"),
        ("fix fixes fixed", "fix"),
        ("run running", "run"),
        ("add added", "add"),
        ("stop stopped", "stop"),
    ],
)
def test_stem_joins_inflections(words: str, expected: str) -> None:
    assert {stem(w) for w in words.split()} == {expected}


def test_stem_leaves_short_and_non_english_words_alone() -> None:
    assert [stem(w) for w in ["is", "bus", "status", "배포", "proj-123", "v2"]] == [
        "is",
        "bus",
        "status",
        "배포",
        "proj-123",
        "v2",
    ]


def test_inflected_english_matches_and_exact_form_scores_higher() -> None:
    query = ENCODER.encode_query("deploy failed")
    exact = ENCODER.encode_document("the deploy failed")
    inflected = ENCODER.encode_document("the deploying fails")
    assert score(query, inflected) > 0
    assert score(query, exact) > score(query, inflected)


def test_stopword_only_query_still_has_terms() -> None:
    assert ENCODER.encode_query("the of and").indices


def test_repeated_term_weight_grows_but_saturates() -> None:
    flat = SparseEncoder(b=0.0)  # no length normalization: weight depends on the count alone
    weights = [weight(flat.encode_document(" ".join(["kiok"] * n)), "kiok") for n in range(1, 30)]
    gains = [b - a for a, b in itertools.pairwise(weights)]
    assert all(g > 0 for g in gains)
    assert all(later < earlier for earlier, later in itertools.pairwise(gains))
    assert weights[-1] < flat.k1 + 1
    assert weights[0] == pytest.approx(1.0)


def test_longer_documents_weigh_a_term_less() -> None:
    short = ENCODER.encode_document("kiok deploy")
    long = ENCODER.encode_document("kiok " + " ".join(f"word{i}" for i in range(60)))
    assert weight(short, "kiok") > weight(long, "kiok")


def test_query_weights_are_one_per_unique_term() -> None:
    query = ENCODER.encode_query("deploy deploy DEPLOY")
    assert query.values == [1.0] * len(query.indices)
    assert len(query.indices) == 1


def test_indices_are_unique_and_sorted() -> None:
    vector = ENCODER.encode_document("배포 배포는 PROJ-123 PROJ-123 #482 PR 482 v2.3 deploy deployed")
    assert vector.indices == sorted(set(vector.indices))
    assert len(vector.values) == len(vector.indices)


@pytest.mark.parametrize("text", ["", "   ", "... !!! ---", "😀🎉"])
def test_text_without_terms_gives_an_empty_vector(text: str) -> None:
    assert ENCODER.encode_document(text) == SparseVector(indices=[], values=[])
    assert ENCODER.encode_query(text) == SparseVector(indices=[], values=[])


def test_term_ids_are_stable_blake2b() -> None:
    expected = int.from_bytes(hashlib.blake2b("배포".encode(), digest_size=4).digest(), "little")
    assert term_id("배포") == expected


def test_model_id_names_the_weighting() -> None:
    assert SparseEncoder().model_id != SparseEncoder(k1=2.0).model_id


def test_invalid_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="avg_doc_len"):
        SparseEncoder(avg_doc_len=0)
    with pytest.raises(ValueError, match="b="):
        SparseEncoder(b=1.5)


def test_lone_surrogate_does_not_break_hashing() -> None:
    assert ENCODER.encode_document("broken \ud800 text").indices


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_encoding_never_raises_on_arbitrary_unicode(text: str) -> None:
    for vector in (ENCODER.encode_document(text), ENCODER.encode_query(text)):
        assert vector.indices == sorted(set(vector.indices))
        assert all(0 <= i < 2**32 for i in vector.indices)
        assert all(math.isfinite(v) and v > 0 for v in vector.values)


def test_thread_opening_terms_find_a_reply_below_the_message_that_says_them() -> None:
    opening = "Migration plan for the billing database: cut over on Friday"
    reply = ENCODER.encode_document("yes, works for me", opening, 0.3)
    stated = ENCODER.encode_document(opening)
    assert 0 < weight(reply, "billing") < weight(stated, "billing")
    assert weight(reply, "billing") == pytest.approx(0.3 * weight(stated, "billing"))
    assert weight(reply, "works") == weight(ENCODER.encode_document("yes, works for me"), "works")


def test_a_term_in_both_keeps_the_texts_own_weight() -> None:
    own = ENCODER.encode_document("Friday it is")
    with_context = ENCODER.encode_document("Friday it is", "ship on Friday", 0.3)
    assert weight(with_context, "friday") == weight(own, "friday")
    assert ENCODER.encode_document("Friday it is", "ship on Friday", 0.0) == own
