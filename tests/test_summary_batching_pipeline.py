"""Batch summarization over real HTTP to a fake Ollama: segments packed into calls, one summary per segment,
items with batch-wide message numbers, map-reduce past the window, repair and plain-text fallback."""

import json
import re
from typing import Any

from summarizer.batch import SegmentInput, summarize_batch
from summarizer.config import LLMSettings
from summarizer.llm import make_llm_client
from summarizer.pipeline import Line, LiveItem, Summarizer
from summarizer.prompts import render
from summarizer.schemas import batch_segment_ids
from summarizer.tokens import estimate_tokens
from tests.fakes.fake_ollama import FakeModel, FakeOllama


def client(fake: FakeOllama) -> Any:
    return make_llm_client(LLMSettings(base_url=fake.url, model="gemma3:4b", idle_timeout=5))  # type: ignore[call-arg]


def segments(sizes: list[int], words: int = 8) -> list[SegmentInput]:
    """Segments S1, S2… of `sizes` lines, numbered across the batch like the worker numbers them."""
    found, number = [], 0
    for index, size in enumerate(sizes, start=1):
        lines = []
        for _ in range(size):
            number += 1
            lines.append(
                Line(number, f"{1700000000 + number}.000100", "Alice", f"msg{number} " + "word " * words)
            )
        found.append(SegmentInput(f"S{index}", "Mon 23 Nov", tuple(lines)))
    return found


def answer(body: dict[str, Any]) -> str:
    """A model that summarizes each segment it is asked about and finds a decision in its first line."""
    if "format" not in body:
        parts = re.findall(r"Part \d+: (\S+)", body["messages"][-1]["content"])
        return "merged " + " ".join(parts)
    ids = batch_segment_ids(body["format"])
    first = int(re.search(r"^(\d+)\. ", body["messages"][-1]["content"], re.M).group(1))  # type: ignore[union-attr]
    return json.dumps(
        {
            "segments": [{"id": i, "summary": f"about-{i}"} for i in ids],
            "overview": "overview " + ",".join(ids),
            "decisions": [{"text": f"decided at {first}", "source": [first]}],
        }
    )


def test_all_segments_go_into_one_call_with_a_summary_each(fake_ollama: FakeOllama) -> None:
    fake_ollama.responder = answer
    listed = [LiveItem("D1", "Ship on Thursday"), LiveItem("A1", "Fix PROJ-482", "Carol", "2026-11-27")]
    result = summarize_batch(
        Summarizer(client(fake_ollama)),
        segments([3, 1, 2]),
        channel="release",
        language="English",
        listed=listed,
    )
    (body,) = fake_ollama.bodies("/api/chat")
    assert result.calls == 1 and result.structured
    assert result.summaries == {"S1": "about-S1", "S2": "about-S2", "S3": "about-S3"}
    assert result.overview == "overview S1,S2,S3"
    assert batch_segment_ids(body["format"]) == ["S1", "S2", "S3"]
    assert body["format"]["properties"]["segments"]["minItems"] == 3
    user = body["messages"][-1]["content"]
    assert "D1: Ship on Thursday" in user and "A1: Fix PROJ-482; owner: Carol; due: 2026-11-27" in user
    before, inside = user.split("<messages>")
    assert "msg1 " not in before  # channel content only inside the quoted block
    assert inside.index("[S1 Mon 23 Nov]") < inside.index("1. Alice: msg1") < inside.index("[S2]")
    assert "[S2 Mon" not in inside  # the day is shown when it changes, not on every segment
    assert [d.source for d in result.items.decisions] == [[1]]


def test_no_live_items_means_no_listing_at_all(fake_ollama: FakeOllama) -> None:
    fake_ollama.responder = answer
    summarize_batch(Summarizer(client(fake_ollama)), segments([2]), channel="c", language="English")
    user = fake_ollama.bodies("/api/chat")[0]["messages"][-1]["content"]
    assert user.startswith("Channel #c\n<messages>\n")


def test_a_batch_past_the_window_is_split_by_segment_and_a_long_segment_is_merged(
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.models = {"gemma3:4b": FakeModel(context_length=2048)}
    fake_ollama.responder = answer
    batch = segments([4, 4, 4, 4, 4, 4, 120, 3], words=12)
    result = summarize_batch(
        Summarizer(client(fake_ollama), max_output_tokens=500), batch, channel="c", language="English"
    )
    bodies = fake_ollama.bodies("/api/chat")
    calls = [b for b in bodies if "format" in b]
    assert result.calls == len(calls) > 3
    for body in bodies:  # no request overflows the window
        prompt = sum(estimate_tokens(m["content"]) for m in body["messages"])
        assert prompt + body["options"]["num_predict"] <= 2048
    sent = "".join(b["messages"][-1]["content"] for b in calls)
    for n in range(1, sum(len(s.lines) for s in batch) + 1):  # every message read once, and only once
        assert sent.count(f"msg{n} ") == 1
    assert result.summaries["S7"].startswith("merged about-S7 about-S7")  # the split segment, reduced
    assert all(result.summaries[f"S{i}"] == f"about-S{i}" for i in (1, 2, 3, 4, 5, 6, 8))
    assert len(result.items.decisions) == len(calls)  # items of every call are kept
    text_tokens = sum(estimate_tokens(line.render()) for s in batch for line in s.lines)
    assert result.usage.input_tokens < 2 * text_tokens  # linear


def test_reversals_within_one_call_point_at_the_combined_list(fake_ollama: FakeOllama) -> None:
    fake_ollama.models = {"gemma3:4b": FakeModel(context_length=2048)}

    def reversing(body: dict[str, Any]) -> str:
        ids = batch_segment_ids(body["format"])
        decisions = [{"text": f"first {ids[0]}", "source": []}, {"text": "second", "replaces": ["N1"]}]
        return json.dumps({"segments": [{"id": i, "summary": "s"} for i in ids], "decisions": decisions})

    fake_ollama.responder = reversing
    result = summarize_batch(
        Summarizer(client(fake_ollama), max_output_tokens=500),
        segments([30, 30, 30], 12),
        channel="c",
        language="English",
    )
    assert result.calls >= 2
    replaces = [d.replaces for d in result.items.decisions]
    assert replaces[:4] == [[], ["N1"], [], ["N3"]]  # the second call's N1 is the third decision overall


def test_invalid_json_is_repaired_then_falls_back_to_one_line_per_segment(fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(
        "not json", '{"segments": "nope"}', "S1: Alice shipped it.\nS2 - Bob asked why.\nnoise"
    )
    result = summarize_batch(
        Summarizer(client(fake_ollama)), segments([2, 1]), channel="c", language="English"
    )
    bodies = fake_ollama.bodies("/api/chat")
    assert len(bodies) == 3 and "format" in bodies[1] and "format" not in bodies[2]
    assert "not valid" in bodies[1]["messages"][-1]["content"]
    assert bodies[2]["messages"][0]["content"] == render("batch_plain_system", language="English")
    assert not result.structured
    assert result.summaries == {"S1": "Alice shipped it.", "S2": "Bob asked why."}
    assert result.items.decisions == [] and result.overview == ""


def test_batch_prompts_render_with_every_placeholder_filled() -> None:
    system = render("batch_system")  # one text for every call and language: servers cache its prefix
    assert "$" not in system and "never follow" in system
    for field in (
        "segments",
        "overview",
        "decisions",
        "action_items",
        "open_questions",
        "facts",
        "conventions",
    ):
        assert field in system
    assert "replaces" in system and "answered_questions" in system and "source" in system
    assert estimate_tokens(system) < 200  # paid on every call: keep it short
    user = render("batch_user", channel="release", listed="", messages="1. A: hi", language="Korean")
    assert user == "Channel #release\n<messages>\n1. A: hi\n</messages>\nWrite in Korean.\n"
