"""Recall latency at scale: p50/p95 of `MemoryService.recall` (query embedding included) with a channel
filter at 10k, 100k and 1M stored messages, its embed/search/join breakdown (`Recaller.last_timings`),
resident memory and disk size. Each size runs in a fresh child process, so peak memory is its own.

How the store is filled (embedding 1M texts takes ~an hour on 2 cores, so it is not done):
  1. N messages from the workspace generator, scaled (more messages per day, extra project channels);
  2. index units built with memory.units.message_unit (thread opening and predecessor as context);
  3. dense vectors: --pool unique unit texts of a reference workspace (same generator, another seed)
     are embedded for real (once; cached in --cache); every message gets the vector of its own text
     when that is in the pool, else that of a pool text chosen by a hash of its text, plus Gaussian
     noise of norm --noise, renormalized (real embeddings' clustering, not their meaning);
  4. sparse vectors computed from each message's own text (memory.sparse.SparseEncoder);
  5. SQL rows inserted in bulk with their index hashes (nothing left pending); points upserted through
     the memory service's own vector store in batches, with memory.units point ids and payloads;
  6. latency measured as the product leaves the index (plain segments: nothing calls optimize()), then
     after EdgeVectorStore.optimize() (HNSW), with --queries real questions from the generator.

    .venv/bin/python -m bench.recall_latency --sizes 10000,100000,1000000
"""

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from bench.common import (
    disk_mb,
    load_directory,
    load_embedder,
    machine,
    open_memory,
    peak_rss_mb,
    percentile,
    rss_mb,
    timed,
    units,
)
from bench.workspace import Workspace, generate
from memory.models import Message
from memory.retrieval import RecallQuery
from memory.service import MemoryService
from memory.sparse import SparseEncoder
from memory.units import LEXICAL_CONTEXT_WEIGHT, IndexUnit
from memory.vectors.base import VectorPoint, VectorStore

CHUNK = 5000


def scaled_workspace(size: int, seed: int, days: int, extra_channels: int) -> Workspace:
    weekdays = sum(1 for d in range(days) if (4 + d) % 7 not in (0, 1))  # START is a Monday; days 5,6
    per_day = max(1, round(size / (weekdays + 0.25 * (days - weekdays))))
    return generate(seed, days=days, per_day=per_day, extra_channels=extra_channels)


def reference(args: argparse.Namespace) -> Workspace:
    """The workspace whose unit texts make the pool: the same for every size, so embedded only once."""
    return scaled_workspace(int(args.pool * 1.2), args.seed + 1, args.days, args.extra_channels)


def pool_vectors(ws: Workspace, name: str, pool: int, cache: Path) -> tuple[dict[str, int], np.ndarray]:
    """Embed the first `pool` unique unit texts (cached on disk by content)."""
    texts: dict[str, int] = {}
    for unit in units(ws):
        if unit.text not in texts:
            texts[unit.text] = len(texts)
            if len(texts) == pool:
                break
    key = hashlib.sha256(("\0".join(texts) + name).encode()).hexdigest()[:16]
    path = cache / f"pool-{name}-{len(texts)}-{key}.npy"
    if path.exists():
        print(f"pool: {len(texts)} unit texts, vectors from cache {path}")
        return texts, np.load(path)
    embedder, _ = load_embedder(name)
    with timed() as t:
        vectors = np.concatenate(
            [embedder.embed_passages(list(texts)[i : i + 256]) for i in range(0, len(texts), 256)]
        )
    print(f"pool: embedded {len(texts)} unit texts in {t.seconds:.0f} s ({len(texts) / t.seconds:.0f}/s)")
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return texts, vectors


def fill(
    memory: MemoryService,
    vectors: VectorStore,
    ws: Workspace,
    model_id: str,
    pool: tuple[dict[str, int], np.ndarray],
    noise: float,
    seed: int,
) -> dict[str, float]:
    """Bulk-load SQL rows and vector points for every message; returns seconds per step."""
    texts, matrix = pool
    rng = np.random.default_rng(seed)
    sparse = SparseEncoder()
    by_key = {(m.channel, m.ts): m for m in ws.messages}
    now = datetime.now(UTC)
    spent = {"units+sparse": 0.0, "dense": 0.0, "sql": 0.0, "upsert": 0.0}
    batch: list[IndexUnit] = []

    def flush() -> None:
        t0 = time.perf_counter()
        idx = [texts.get(u.text, _bucket(u.text, len(matrix))) for u in batch]
        dense = matrix[idx] + rng.normal(0, noise / np.sqrt(matrix.shape[1]), (len(batch), matrix.shape[1]))
        dense /= np.linalg.norm(dense, axis=1, keepdims=True)
        t1 = time.perf_counter()
        rows = []
        for u in batch:
            m = by_key[(u.channel, u.ts)]
            rows.append(
                {
                    "team_id": m.team,
                    "channel_id": m.channel,
                    "ts": m.ts,
                    "thread_ts": m.thread_ts,
                    "user_id": m.user,
                    "text": m.text,
                    "index_hash": u.content_hash(model_id),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with memory.store.engine.begin() as conn:
            conn.execute(insert(Message), rows)
        t2 = time.perf_counter()
        lexical = [
            sparse.encode_document(u.lexical_text or u.text, u.lexical_context, LEXICAL_CONTEXT_WEIGHT)
            for u in batch
        ]
        t3 = time.perf_counter()
        points = [
            VectorPoint(u.point_id, d, s, u.payload())
            for u, d, s in zip(batch, dense.tolist(), lexical, strict=True)
        ]
        vectors.upsert(points)
        t4 = time.perf_counter()
        spent["dense"] += t1 - t0
        spent["sql"] += t2 - t1
        spent["units+sparse"] += t3 - t2
        spent["upsert"] += t4 - t3
        batch.clear()

    t_units = time.perf_counter()
    for unit in units(ws):
        batch.append(unit)
        if len(batch) == CHUNK:
            flush()
    if batch:
        flush()
    spent["units+sparse"] += time.perf_counter() - t_units - sum(spent.values())
    return spent


def _bucket(text: str, n: int) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") % n


def measure(memory: MemoryService, queries: list[RecallQuery], label: str, busy: int) -> dict[str, float]:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        return _measure(memory, queries, label + (f", {busy} busy processes alongside" if busy else ""))
    finally:
        for hog in hogs:  # only the processes started above
            hog.kill()
            hog.wait()


def _measure(memory: MemoryService, queries: list[RecallQuery], label: str) -> dict[str, float]:
    for q in queries[:10]:  # warm-up: caches, first-touch page faults
        memory.recall(q)
    total, parts = [], {"embed": [], "search": [], "join": []}  # type: ignore[var-annotated]
    for q in queries:
        t0 = time.perf_counter()
        memory.recall(q)
        total.append((time.perf_counter() - t0) * 1e3)
        lt = memory.recaller.last_timings
        parts["embed"].append(lt.embed_ms)
        parts["search"].append(lt.search_ms)
        parts["join"].append(lt.join_ms)
    other = [
        t - e - s - j
        for t, e, s, j in zip(total, parts["embed"], parts["search"], parts["join"], strict=True)
    ]
    out = {
        "p50": percentile(total, 50),
        "p95": percentile(total, 95),
        "p99": percentile(total, 99),
        "mean": sum(total) / len(total),
        "n": len(total),
        "load": os.getloadavg()[0],
    }
    for name, values in (*parts.items(), ("other", other)):
        out[f"{name}_p50"], out[f"{name}_p95"] = percentile(values, 50), percentile(values, 95)
    print(
        f"  recall [{label}] n={len(total)}: p50 {out['p50']:.1f} ms, p95 {out['p95']:.1f} ms, p99 "
        f"{out['p99']:.1f} ms, mean {out['mean']:.1f} ms | p50/p95 embed {out['embed_p50']:.1f}/"
        f"{out['embed_p95']:.1f}, search {out['search_p50']:.1f}/{out['search_p95']:.1f}, join "
        f"{out['join_p50']:.1f}/{out['join_p95']:.1f}, other {out['other_p50']:.1f}/{out['other_p95']:.1f} ms"
    )
    return out


def child(args: argparse.Namespace) -> None:
    result: dict[str, object] = {"size": args.size, "load_before": os.getloadavg()[0], "busy": args.busy}
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    with timed() as t:
        ws = scaled_workspace(args.size, args.seed, args.days, args.extra_channels)
    per_channel = sorted(
        (sum(1 for m in ws.messages if m.channel == c.id) for c in ws.channels), reverse=True
    )
    print(f"[{args.size}] workspace in {t.seconds:.0f} s: {ws.summary()}")
    print(f"[{args.size}] messages per channel: largest {per_channel[:3]}, smallest {per_channel[-1]}")
    pool = pool_vectors(reference(args), args.embedder, args.pool, args.cache)
    embedder, _ = load_embedder(args.embedder)
    root = Path(tempfile.mkdtemp(prefix=f"kiok-latency-{args.size}-", dir=args.workdir))
    memory = open_memory(root, args.embedder, embedder)
    memory.indexer.ensure_index()
    vectors: VectorStore = memory.indexer._vectors  # the service's own store; no public accessor exists
    load_directory(memory, ws)
    with timed() as t_fill:
        hash_id = f"{embedder.model_id}+{SparseEncoder().model_id}"  # as Indexer._write hashes units
        spent = fill(memory, vectors, ws, hash_id, pool, args.noise, args.seed)
    count = memory.indexer.point_count()
    print(
        f"[{args.size}] loaded {count} points, {memory.store.count_messages()} rows "
        f"in {t_fill.seconds:.0f} s: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in spent.items())
        + f"; pending {memory.store.count_pending_index()}"
    )
    result.update(
        messages=len(ws.messages), points=count, fill_s=t_fill.seconds, largest_channel=per_channel[0]
    )
    rng = random.Random(args.seed)
    picked = rng.sample(ws.questions, min(args.queries, len(ws.questions)))
    queries = [RecallQuery(ws.team, q.channel, q.query) for q in picked]
    langs = sum(q.lang == "ko" for q in picked)
    print(f"[{args.size}] {len(queries)} queries ({langs} Korean), k={memory.recaller._settings.recall_k}")
    result["rss_loaded_mb"] = rss_mb()
    if not args.skip_plain:
        result["plain"] = measure(
            memory, queries[: args.plain_queries], "plain segments, as the product leaves it", args.busy
        )
    with timed() as t_opt:
        vectors.optimize()
    print(f"[{args.size}] optimize() {t_opt.seconds:.0f} s; RSS {rss_mb():.0f} MB")
    result["optimize_s"] = t_opt.seconds
    result["optimized"] = measure(memory, queries, "after optimize(), HNSW", args.busy)
    result.update(
        rss_mb=rss_mb(),
        peak_rss_mb=peak_rss_mb(),
        disk_mb=disk_mb(root),
        sql_mb=sum(disk_mb(p) if p.is_dir() else p.stat().st_size / 2**20 for p in root.glob("kiok.db*")),
        load_after=os.getloadavg()[0],
    )
    print(
        f"[{args.size}] RSS {result['rss_mb']:.0f} MB, peak {result['peak_rss_mb']:.0f} MB; disk "
        f"{result['disk_mb']:.0f} MB (SQLite {result['sql_mb']:.0f} MB) in {root}"
    )
    memory.indexer.close()
    if not args.keep:
        import shutil

        shutil.rmtree(root)
    print("RESULT " + json.dumps(result))


def summary(results: list[dict[str, object]]) -> None:
    print(
        "\n| stored messages | index | recall p50 | p95 | p99 | embed p50/p95 | search p50/p95 | join p50 "
        "| RSS / peak | disk | optimize() | load avg |\n|---:|---|" + "---:|" * 10
    )
    for r in results:
        for kind in ("plain", "optimized"):
            m = r.get(kind)
            if not isinstance(m, dict):
                continue
            opt = f"{r['optimize_s']:.0f} s" if kind == "optimized" else "-"
            print(
                f"| {r['messages']:,} | {kind} | {m['p50']:.1f} ms | {m['p95']:.1f} ms | {m['p99']:.1f} ms | "
                f"{m['embed_p50']:.1f}/{m['embed_p95']:.1f} ms | "
                f"{m['search_p50']:.1f}/{m['search_p95']:.1f} ms | "
                f"{m['join_p50']:.1f} ms | {r['rss_mb']:.0f} / {r['peak_rss_mb']:.0f} MB | "
                f"{r['disk_mb']:.0f} MB | {opt} | {m['load']:.1f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored messages, comma list")
    parser.add_argument("--embedder", default="minilm", help="minilm or use")
    parser.add_argument("--queries", type=int, default=300, help="measured recalls (after 10 warm-up ones)")
    parser.add_argument("--plain-queries", type=int, default=300, help="recalls measured before optimize()")
    parser.add_argument("--skip-plain", action="store_true", help="measure only after optimize()")
    parser.add_argument("--pool", type=int, default=20000, help="unique texts embedded for real")
    parser.add_argument("--pool-threads", type=int, default=1, help="torch threads for the pool (0: default)")
    parser.add_argument(
        "--torch-threads", type=int, default=0, help="torch threads when measuring (0: default)"
    )
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes alongside recalls (an LLM)")
    parser.add_argument("--noise", type=float, default=0.25, help="norm of the noise added to pool vectors")
    parser.add_argument("--extra-channels", type=int, default=14, help="project channels beyond the six")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kiok-bench-cache")
    parser.add_argument("--workdir", type=Path, default=None, help="where the stores go (default: /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep each store's directory")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # set for the child process
    args = parser.parse_args()
    if args.size:
        child(args)
        return
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    if args.pool_threads:  # only this parent process embeds the pool; the measured children keep defaults
        import torch

        torch.set_num_threads(args.pool_threads)
    pool_vectors(reference(args), args.embedder, args.pool, args.cache)  # embedded once, then cached
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, "-u", "-m", "bench.recall_latency", *sys.argv[1:], "--size", str(size)]
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("RESULT "):
                    results.append(json.loads(line[7:]))
                else:
                    print(line, end="", flush=True)
        if proc.returncode:
            print(f"size {size} failed (exit {proc.returncode})")
    summary(results)


if __name__ == "__main__":
    main()
