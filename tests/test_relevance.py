"""Which live items a batch lists: related by distinctive shared terms, in either language, capped."""

from summarizer.relevance import Candidate, relevant

ITEMS = [
    Candidate(1, "Use Avro for the billing migration serialization"),
    Candidate(2, "Ticket triage moves to 4pm"),
    Candidate(3, "배포는 화요일에 한다"),
    Candidate(4, "Lunch is at noon on Fridays"),
]


def test_an_update_lists_the_item_it_changes_and_nothing_unrelated() -> None:
    news = ["Change of plan for the billing migration: Protobuf instead of Avro.", "Thanks!"]
    assert relevant(ITEMS, news, limit=10) == [1]


def test_korean_words_match_through_their_particles() -> None:
    assert relevant(ITEMS, ["배포를 목요일로 옮겨요, 화요일은 어려워요"], limit=10) == [3]


def test_words_every_message_uses_do_not_make_an_item_related() -> None:
    chatter = ["Is the build green for the release?", "Is the doc on the wiki for the team?"]
    assert relevant(ITEMS, chatter, limit=10) == []


def test_at_most_limit_best_first_and_empty_inputs() -> None:
    items = [Candidate(i, f"The {w} rollout plan for the mobile app") for i, w in enumerate("abc")]
    items.append(Candidate(9, "Mobile app rollout plan owner is Chloe, pinned to the checkout flow"))
    news = ["Chloe moved the mobile app rollout plan for the checkout flow to next week"]
    assert relevant(items, news, limit=1) == [9]
    assert relevant([], news, limit=5) == [] and relevant(items, [], limit=5) == []
    assert relevant(items, news, limit=0) == []


def test_another_language_shares_no_terms_a_known_limit() -> None:
    assert relevant(ITEMS, ["빌링 마이그레이션은 Protobuf로 바꿔요"], limit=10) == []
