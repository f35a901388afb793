"""Time from an @mention to Kiok's final reply, by stage, over the real Bolt app + Socket Mode client and the
Slack emulator on loopback, with a fake Ollama (real HTTP; answers instantly, streamed word by word).

Stages come from the emulator's log of Web API calls (real wall-clock times): placeholder posted, memory
recall started ("Looking through…"), model started ("Thinking…"), first streamed text, final edit.

    .venv/bin/python -m bench.mention_latency --runs 20
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(var, None)  # Slack's socket client ignores NO_PROXY
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from app.bootstrap import Bot  # noqa: E402
from app.emulator import SlackEmulator  # noqa: E402
from bench.common import load_embedder  # noqa: E402
from tests.e2e import bot_settings  # noqa: E402
from tests.fakes.fake_ollama import FakeOllama  # noqa: E402

ANSWER = "We ship v2.3 on Friday after the QA pass, unless PROJ-482 is still open on Thursday [1]."


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    embedder, _ = load_embedder("minilm")
    stages: dict[str, list[float]] = {
        k: [] for k in ("placeholder", "recall", "model", "first_text", "final")
    }
    with tempfile.TemporaryDirectory() as tmp, FakeOllama() as llm:
        llm.responder = lambda body: ANSWER
        emu = SlackEmulator(team_id="T0KIOK", team_name="acme", bot_name="kiok").start()
        bot = Bot(bot_settings(emu, llm.url, Path(tmp)), embedder=embedder)
        bot.start()
        emu.wait_connected()
        alice = emu.add_user(name="alice", real_name="Alice Kim")
        channel = emu.add_channel(name="release", members=[alice])
        root = emu.post_message(channel, alice, "Release planning: we ship v2.3 on Friday after the QA pass.")
        emu.post_message(channel, alice, "PROJ-482 must be fixed by Thursday.", thread_ts=root)
        for _ in range(args.runs):
            before = len(emu.calls())
            started = time.time()
            emu.post_message(channel, alice, f"<@{emu.bot_user_id}> when do we ship?", thread_ts=root)
            emu.wait_for(lambda b=before: _final(emu, b), timeout=30)
            calls = emu.calls()[before:]
            posted = next(c.time for c in calls if c.method == "chat.postMessage")
            updates = [c for c in calls if c.method == "chat.update"]
            stages["placeholder"].append(posted - started)
            stages["recall"].append(_first(updates, "Looking through") - started)
            stages["model"].append(_first(updates, "Thinking") - started)
            stages["first_text"].append(
                next(c.time for c in updates if "We ship" in c.args.get("text", "")) - started
            )
            stages["final"].append(_final(emu, before) - started)
        bot.stop()
        emu.stop()
    print(f"{args.runs} mentions; seconds from the mention event to each stage (p50 / p95 / max):")
    for name, values in stages.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        p50, worst = statistics.median(values) * 1000, values[-1] * 1000
        print(f"  {name:12s} {p50:7.1f} ms / {p95 * 1000:7.1f} ms / {worst:7.1f} ms")


def _first(updates: list, marker: str) -> float:  # type: ignore[type-arg]
    return next(c.time for c in updates if marker in c.args.get("text", ""))


def _final(emu: SlackEmulator, before: int) -> float:
    """Time of the edit that put the final answer (no streaming cursor) in place, or 0 if not yet."""
    for call in emu.calls()[before:]:
        text = call.args.get("text", "")
        if call.method == "chat.update" and "We ship" in text and "▍" not in text:
            return call.time
    return 0.0


if __name__ == "__main__":
    main()
