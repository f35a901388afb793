"""Many mentions at once over the real Bolt app + Socket Mode client and the Slack emulator on loopback,
with a slow fake Ollama (real HTTP, answers streamed in several pieces): time until all are answered,
queue wait p50/p95 (from the LLM gate), resident memory, and where the quiet channels' questions were
served while one channel floods (round-robin fairness).

    .venv/bin/python -m bench.load --mentions 200 --channels 20 --within 10 --llm-ms 80
"""

import argparse
import os
import re
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

ANSWER = "Here is the answer, with a few words in it."
QUESTION = re.compile(r"(flood-\d+|single-\d+)")


def rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentions", type=int, default=200)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--flood", type=float, default=0.5, help="share of mentions from one busy channel")
    parser.add_argument("--within", type=float, default=10.0, help="seconds over which mentions arrive")
    parser.add_argument("--llm-ms", type=float, default=80.0, help="model time per answer")
    parser.add_argument("--concurrency", type=int, default=1, help="KIOK_LLM__CONCURRENCY")
    args = parser.parse_args()
    embedder, _ = load_embedder("minilm")
    pieces = len(ANSWER.split())
    flood = int(args.mentions * args.flood)
    with tempfile.TemporaryDirectory() as tmp, FakeOllama() as llm:
        llm.responder = lambda body: ANSWER
        llm.delay_first_token(args.llm_ms / 1000 / 3)
        llm.token_delay(args.llm_ms / 1000 * 2 / 3 / max(1, pieces - 1))
        emu = SlackEmulator(team_id="T0KIOK", team_name="acme", bot_name="kiok").start()
        settings = bot_settings(emu, llm.url, Path(tmp), answer_timeout=3600, concurrency=args.concurrency)
        bot = Bot(settings, embedder=embedder)
        bot.start()
        emu.wait_connected()
        users = [emu.add_user(name=f"user-{n}", real_name=f"User {n}") for n in range(args.mentions)]
        busy = emu.add_channel(name="busy", members=users)
        quiet = [emu.add_channel(name=f"quiet-{n}", members=users) for n in range(args.channels - 1)]
        rss_before = rss_mb()
        asked, started = [], time.monotonic()
        for n in range(args.mentions):
            channel, label = (busy, f"flood-{n}") if n < flood else (quiet[n % len(quiet)], f"single-{n}")
            asked.append((channel, emu.post_message(channel, users[n], f"<@{emu.bot_user_id}> {label}?")))
            time.sleep(max(0.0, started + (n + 1) * args.within / args.mentions - time.monotonic()))
        arrived = time.monotonic() - started
        for channel, ts in asked:
            emu.wait_for(lambda c=channel, t=ts: _answered(emu, c, t), timeout=600)
        total = time.monotonic() - started
        stats = bot.services.llm_gate.stats()
        served = [QUESTION.findall(str(b["messages"][-1]["content"]))[-1] for b in llm.bodies("/api/chat")]
        first_single = min((i for i, q in enumerate(served) if q.startswith("single")), default=-1)
        replies = [len(emu.thread(c, ts)) - 1 for c, ts in asked]
        print(
            f"mentions={args.mentions} channels={args.channels} flood={flood} concurrency={args.concurrency} "
            f"llm_ms={args.llm_ms:g}\narrived_in_s={arrived:.1f} all_answered_in_s={total:.1f} "
            f"lost={sum(r == 0 for r in replies)} duplicated={sum(r > 1 for r in replies)}\n"
            f"queue_wait_s p50={stats.percentile(50):.2f} p95={stats.percentile(95):.2f} "
            f"max={max(stats.waits, default=0):.2f}\nrss_mb before={rss_before:.0f} after={rss_mb():.0f}\n"
            f"first quiet-channel question served as number {first_single + 1} of {len(served)} "
            f"(FIFO would serve it after the {flood} flood questions)"
        )
        bot.stop()
        emu.stop()


def _answered(emu: SlackEmulator, channel: str, ts: str) -> bool:
    texts = [m["text"] for m in emu.thread(channel, ts) if m.get("user") == emu.bot_user_id]
    return any(ANSWER in t and "▍" not in t for t in texts)


if __name__ == "__main__":
    main()
