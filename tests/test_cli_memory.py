"""Memory commands a person runs: stats, policy, forget, and the model-change guard with reindex."""

import json
from pathlib import Path

from tests.test_cli import kiok
from tests.test_import import write_export

MINILM = {"KIOK_EMBEDDING__MODEL": "bundled:all-MiniLM-L6-v2", "HF_HUB_OFFLINE": "1"}
USE = {"KIOK_EMBEDDING__BACKEND": "use-multilingual", "HF_HUB_OFFLINE": "1"}


def test_stats_policy_forget_and_reindex_after_a_model_change(tmp_path: Path) -> None:
    env = {"KIOK_DATA_DIR": str(tmp_path / "data")}
    write_export(tmp_path / "export")
    assert (
        kiok("import", str(tmp_path / "export"), home=tmp_path, env={**env, **MINILM}, timeout=180).returncode
        == 0
    )

    stats = kiok("stats", home=tmp_path, env={**env, **MINILM}, timeout=120)
    assert stats.returncode == 0, stats.stderr
    assert (
        "#release" in stats.stdout
        and "3 messages" in stats.stdout
        and "index: 4 points, 0 pending" in stats.stdout
    )

    refused = kiok("policy", "secret-deal", "--share", home=tmp_path, env={**env, **MINILM}, timeout=120)
    assert refused.returncode == 1 and "not a public channel" in refused.stderr
    shared = kiok(
        "policy",
        "release",
        "--share",
        "--retention-days",
        "30",
        home=tmp_path,
        env={**env, **MINILM},
        timeout=120,
    )
    assert "shared with the workspace: yes; memory kept 30 days" in shared.stdout

    forgot = kiok(
        "forget",
        "--channel",
        "release",
        "--message",
        "1763690000.000300",
        home=tmp_path,
        env={**env, **MINILM},
        timeout=120,
    )
    assert forgot.returncode == 0 and "Forgot 1 messages" in forgot.stdout

    mismatch = kiok(
        "recall", "OPS-77", "--channel", "release", home=tmp_path, env={**env, **USE}, timeout=120
    )
    assert mismatch.returncode == 1 and "kiok reindex" in mismatch.stderr

    rebuilt = kiok("reindex", home=tmp_path, env={**env, **USE}, timeout=180)
    assert rebuilt.returncode == 0 and "Reindexed 3 of 3 messages" in rebuilt.stdout, (
        rebuilt.stdout + rebuilt.stderr
    )
    hits = json.loads(
        kiok(
            "recall",
            "OPS-77 deadline",
            "--channel",
            "release",
            "--json",
            home=tmp_path,
            env={**env, **USE},
            timeout=120,
        ).stdout
    )
    assert hits and all("Thursday" not in h["text"] for h in hits)  # the forgotten reply stays forgotten
    assert hits[0]["text"] == "Alice owns the DB migration, ticket OPS-77"
