"""What the benchmarks share: offline setup, embedders by short name, a fresh memory service in a
directory, loading a synthetic workspace into it, index units computed in memory, and measurements."""

import math
import os
import platform
import resource
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # bench/ is not product code: no network, ever
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench.workspace import Message, Workspace
from memory.config import BUNDLED_MINILM, EmbeddingSettings
from memory.embeddings import make_embedder
from memory.embeddings.base import Embedder
from memory.records import ChannelRecord, MessageRecord, UserRecord
from memory.service import MemoryService
from memory.units import IndexUnit, message_unit

if TYPE_CHECKING:
    from app.settings import Settings

EMBEDDERS: dict[str, dict[str, str]] = {
    "minilm": {"model": BUNDLED_MINILM},
    "use": {"backend": "use-multilingual"},
}


def embedding_settings(name: str) -> EmbeddingSettings:
    if name not in EMBEDDERS:
        raise SystemExit(f"unknown embedder {name!r}; valid: {', '.join(EMBEDDERS)}")
    return EmbeddingSettings(**EMBEDDERS[name])  # type: ignore[arg-type]


def load_embedder(name: str) -> tuple[Embedder, float]:
    """The embedder and the seconds it took to load (imports included)."""
    t0 = time.perf_counter()
    embedder = make_embedder(embedding_settings(name))
    _ = embedder.dimension
    return embedder, time.perf_counter() - t0


def settings_for(data_dir: Path, name: str, memory: dict[str, int] | None = None) -> "Settings":
    """Settings as a test builds them; `memory` overrides recall settings (rrf_k, candidates...)."""
    from app.settings import Settings

    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=data_dir, embedding=EMBEDDERS[name], memory=memory or {}
    )


def open_memory(
    data_dir: Path, name: str, embedder: Embedder, memory: dict[str, int] | None = None
) -> MemoryService:
    """A memory service as the app builds it: SQLite in `data_dir`, the embedded Qdrant engine."""
    from app.bootstrap import build_memory, open_store  # the app's own composition of the service

    settings = settings_for(data_dir, name, memory)
    return build_memory(settings, open_store(settings), embedder=embedder)


def record(m: Message) -> MessageRecord:
    return MessageRecord(
        team_id=m.team, channel_id=m.channel, ts=m.ts, text=m.text, user_id=m.user, thread_ts=m.thread_ts
    )


def load_directory(memory: MemoryService, ws: Workspace) -> None:
    """Workspace, people and conversations, as `kiok import` stores them."""
    memory.directory.upsert_workspace(ws.team, "Kiok bench")
    for u in ws.users:
        memory.directory.upsert_user(UserRecord(ws.team, u.id, u.handle, u.real_name, u.display_name))
    for c in ws.channels:
        kind = {"channel": "channel", "group": "group", "im": "im"}[c.kind]
        memory.directory.upsert_channel(ChannelRecord(ws.team, c.id, c.name, kind, c.kind != "channel"))


def load_workspace(memory: MemoryService, ws: Workspace, batch: int = 2000) -> int:
    """Store every message through `MemoryService.ingest` (batches like the importer's); returns rows."""
    load_directory(memory, ws)
    stored = 0
    for start in range(0, len(ws.messages), batch):
        stored += memory.ingest(record(m) for m in ws.messages[start : start + batch])
    return stored


def units(ws: Workspace) -> Iterator[IndexUnit]:
    """The index unit of every message, as the indexer builds it (thread opening and predecessor as
    context, names from the directory), computed in memory instead of with SQL look-ups."""
    names = {u.id: u.display_name or u.real_name or u.handle for u in ws.users}
    by_key = {(m.channel, m.ts): m for m in ws.messages}
    last: dict[tuple[str, str | None], Message] = {}
    for m in sorted(ws.messages, key=lambda m: (m.channel, float(m.ts))):
        reply = bool(m.thread_ts and m.thread_ts != m.ts)
        key = (m.channel, m.thread_ts if reply else None)
        opening = by_key.get((m.channel, m.thread_ts)) if m.thread_ts else None
        prev = last.get(key) or (opening if reply else None)
        yield message_unit(
            record(m),
            opening=record(opening) if opening else None,
            previous=record(prev) if prev else None,
            name=lambda u: names.get(u, u or "someone"),
        )
        last[key] = m
        if not reply and m.thread_ts:  # a thread's opening starts the thread's own sequence
            last[(m.channel, m.ts)] = m


# --- measurements ----------------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory now (VmRSS), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """Peak resident memory of this process (getrusage ru_maxrss), MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Clock:
    started: float = 0.0
    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Clock]:
    clock = Clock(time.perf_counter())
    yield clock
    clock.seconds = time.perf_counter() - clock.started


def revision() -> str:
    """The commit benchmarked, and which product files differ from it (others edit the tree meanwhile)."""
    root = Path(__file__).parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "memory", "app/bootstrap.py"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"commit {head}" + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}; {revision()}"
    )
