"""Kiok as a process of its own, for the crash tests: the real `kiok run` (app.bootstrap.run_forever) on
the Slack emulator of the test process, with a fake LLM, and a database and data directory that outlive
the process so a restart after `kill -9` continues where the dead one stopped.

Usage: python tests/support/bot_runner.py --api-url URL --bot-token xoxb-… --app-token xapp-… \
    --llm-url URL --data-dir DIR [--gap-answer-minutes N] [--answer-attempts N]
"""

import argparse
import logging
import sys

from app.bootstrap import run_forever
from app.settings import Settings
from memory.config import BUNDLED_MINILM


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=args.data_dir,
        slack={
            "bot_token": args.bot_token,
            "app_token": args.app_token,
            "api_url": args.api_url,
            "update_interval": 0.2,
            "http_timeout": 5,
            "gap_answer_minutes": args.gap_answer_minutes,
            "answer_attempts": args.answer_attempts,
            "socket_ping_interval": 0.3,
        },
        llm={"provider": "ollama", "base_url": args.llm_url, "model": "gemma3:4b", "idle_timeout": 5},
        embedding={"model": BUNDLED_MINILM},
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--bot-token", required=True)
    parser.add_argument("--app-token", required=True)
    parser.add_argument("--llm-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--gap-answer-minutes", type=int, default=10)
    parser.add_argument("--answer-attempts", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_forever(settings_from(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
