"""`kiok summarize --wait`, `kiok brief` and `kiok decisions` as real processes, including a worker killed
with SIGKILL in the middle of a job: after restart every job completes exactly once."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.fakes.fake_ollama import FakeOllama
from tests.test_cli import kiok
from tests.test_import import write_export


def answer(body: dict[str, Any]) -> str:
    if "format" not in body:
        return "A quiet week."
    return json.dumps(
        {
            "summary": "Alice owns the DB migration (OPS-77), due Thursday.",
            "decisions": [{"text": "Alice owns the DB migration", "source": [2]}],
            "action_items": [{"text": "Finish the OPS-77 migration", "owner": "Alice", "source": [2, 3]}],
            "open_questions": [],
            "facts": [{"text": "The migration ticket is OPS-77", "source": [2]}],
            "conventions": [],
            "answered_questions": [],
        }
    )


def test_killed_worker_job_completes_once_after_restart(tmp_path: Path, fake_ollama: FakeOllama) -> None:
    env = {
        "KIOK_DATA_DIR": str(tmp_path / "data"),
        "KIOK_EMBEDDING__MODEL": "bundled:all-MiniLM-L6-v2",
        "HF_HUB_OFFLINE": "1",
        "KIOK_LLM__BASE_URL": fake_ollama.url,
        "KIOK_SUMMARY__JOB_LEASE_SECONDS": "2",
    }
    write_export(tmp_path / "export")
    assert kiok("import", str(tmp_path / "export"), home=tmp_path, env=env, timeout=180).returncode == 0
    fake_ollama.responder = answer
    fake_ollama.delay_first_token(60)  # the first worker hangs inside its LLM call...

    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIOK_") and "proxy" not in k.lower()}
    worker = subprocess.Popen(
        [sys.executable, "-m", "app", "summarize", "--wait"],
        cwd=tmp_path,
        env={**clean, "HOME": str(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not fake_ollama.bodies("/api/chat") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fake_ollama.bodies("/api/chat"), "the worker never reached the model"
    worker.send_signal(signal.SIGKILL)  # ...and is killed there
    worker.wait(timeout=10)
    fake_ollama.reset()
    time.sleep(2.5)  # its lease expires

    again = kiok("summarize", "--wait", home=tmp_path, env=env, timeout=180)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "'failed': 0" in again.stdout and "'running': 0" in again.stdout

    listed = kiok("decisions", "release", "--json", home=tmp_path, env=env, timeout=120)
    decisions = json.loads(listed.stdout)
    assert [d["text"] for d in decisions] == ["Alice owns the DB migration"]  # stored once, not twice
    assert decisions[0]["sources"] == ["1763600100.000200"]

    brief = kiok("brief", "release", home=tmp_path, env=env, timeout=120)
    assert (
        "Alice owns the DB migration" in brief.stdout and "Alice: Finish the OPS-77 migration" in brief.stdout
    )
    assert "Alice: Finish the OPS-77 migration (due Thu 27 Nov)" in brief.stdout  # "Thursday", said on Fri 21

    nothing = kiok("summarize", "--wait", home=tmp_path, env=env, timeout=180)
    # Only the roll-ups of the finished week are new: #release (a thread) and #secret-deal (a day).
    assert "Queued 2 summarization jobs" in nothing.stdout
