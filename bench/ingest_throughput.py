"""Ingest throughput: how close full indexing comes to the embedder's own speed.

On the same N generated messages, per embedder:
  (a) the raw embedder: `embed_passages` in batches of 64 on the message texts, and on the index unit
      texts (message + thread opening + predecessor: what the indexer really embeds);
  (b) full ingest into a fresh memory service: `MemoryService.ingest` (SQL) + `Indexer.index_pending`
      (units, embedding, sparse vectors, upsert, bookkeeping), in messages/s;
and the ratio (b)/(a). `--profile` runs (b) again under cProfile and shows where the time goes.

    .venv/bin/python -m bench.ingest_throughput --n 5000 --embedders minilm,use --profile
"""

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import load_directory, load_embedder, machine, open_memory, record, timed, units
from bench.workspace import Workspace, generate
from memory.embeddings.base import Embedder

BATCH = 64
# Functions whose cumulative time the profile summary shows (file suffix, function name).
WATCH = (
    ("memory/indexer.py", "index_pending"),
    ("memory/indexer.py", "_units"),
    ("memory/store.py", "pending_index"),
    ("memory/store.py", "messages_by_ts"),
    ("memory/store.py", "neighbours"),
    ("memory/directory.py", "user_labels"),
    ("memory/embeddings/base.py", "embed_passages"),
    ("memory/sparse.py", "encode_document"),
    ("memory/vectors/edge.py", "upsert"),
    ("memory/units.py", "content_hash"),
    ("memory/store.py", "set_index_hashes"),
    ("memory/store.py", "upsert_messages"),
)


def subset(n: int, seed: int) -> Workspace:
    """The first `n` messages (in time order) of a workspace big enough to hold them."""
    ws = generate(seed, per_day=max(40, n // 20))
    ws.messages = ws.messages[:n]
    return ws


def raw_rate(embedder: Embedder, texts: list[str]) -> float:
    embedder.embed_passages(texts[:BATCH])  # warm-up
    with timed() as t:
        for start in range(0, len(texts), BATCH):
            embedder.embed_passages(texts[start : start + BATCH])
    return len(texts) / t.seconds


def full_ingest(
    name: str, embedder: Embedder, ws: Workspace, profile: cProfile.Profile | None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"kiok-ingest-{name}-") as tmp:
        memory = open_memory(Path(tmp), name, embedder)
        try:
            load_directory(memory, ws)
            memory.indexer.ensure_index()
            if profile:
                profile.enable()
            with timed() as t_sql:
                for start in range(0, len(ws.messages), 2000):  # as the importer batches
                    memory.ingest(record(m) for m in ws.messages[start : start + 2000])
            with timed() as t_index:
                stats = memory.indexer.index_pending()
            if profile:
                profile.disable()
            assert stats.indexed == len(ws.messages), stats
        finally:
            memory.indexer.close()
    total = t_sql.seconds + t_index.seconds
    return {
        "sql_s": t_sql.seconds,
        "index_s": t_index.seconds,
        "embed_s": stats.embed_seconds,
        "total_s": total,
        "rate": len(ws.messages) / total,
    }


def show_profile(profile: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(profile)
    raw = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _c) in raw.items())
    print(f"  profile (cumulative seconds, share of the profiled {total:.1f} s; calls):")
    for suffix, func in WATCH:
        for (file, _line, fn), (_cc, calls, _tt, ct, _callers) in raw.items():
            if fn == func and file.endswith(suffix):
                print(f"    {suffix}:{func:<18} {ct:7.2f} s {ct / total:6.1%} {calls:>8} calls")
    print(f"  top {top} by own time:")
    ranked = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (file, line, fn), (_cc, calls, tt, ct, _c) in ranked:
        where = "/".join(Path(file).parts[-2:]) if file != "~" else "builtin"
        print(f"    {tt:7.2f} s own {ct:7.2f} s cum {calls:>8}  {where}:{line} {fn}")


def run(name: str, n: int, seed: int, repeat: int, profile: bool, top: int) -> str:
    ws = subset(n, seed)
    embedder, load_s = load_embedder(name)
    texts = [m.text for m in ws.messages]
    unit_texts = [u.text for u in units(ws)]
    chars, unit_chars = sum(map(len, texts)) / len(texts), sum(map(len, unit_texts)) / len(texts)
    print(
        f"\n[{name}] {embedder.model_id} dim {embedder.dimension}, loaded in {load_s:.1f} s; {len(texts)} "
        f"messages (mean {chars:.0f} chars; their unit texts {unit_chars:.0f})"
    )
    runs = []
    for rep in range(repeat):  # interleaved, so that load from other processes hits all three alike
        raw, raw_units = raw_rate(embedder, texts), raw_rate(embedder, unit_texts)
        full = full_ingest(name, embedder, ws, None)
        full["raw"], full["raw_units"], full["load"] = raw, raw_units, os.getloadavg()[0]
        full["other_s"] = full["index_s"] - full["embed_s"]
        runs.append(full)
        print(
            f"[{name}] run {rep + 1}: (a) raw embed_passages, batches of {BATCH}: {raw:.0f}/s on messages, "
            f"{raw_units:.0f}/s on unit texts; (b) full ingest {full['rate']:.0f} messages/s = "
            f"{full['total_s']:.1f} s: SQL {full['sql_s']:.2f} s + index_pending {full['index_s']:.1f} s"
            f" (embedding {full['embed_s']:.1f} s, the rest {full['other_s']:.1f} s); load {full['load']:.1f}"
        )
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    raw, raw_units = med["raw"], med["raw_units"]
    print(
        f"[{name}] median of {repeat}: raw {raw:.0f}/s (messages), {raw_units:.0f}/s (units); full "
        f"{med['rate']:.0f} messages/s; ratio (b)/(a) {med['rate'] / raw:.0%} vs raw on message texts, "
        f"{med['rate'] / raw_units:.0%} vs raw on unit texts (target >= 85%); non-embedding share of "
        f"the full ingest {(med['other_s'] + med['sql_s']) / med['total_s']:.0%}"
    )
    if profile:
        prof = cProfile.Profile()
        with timed() as t:
            full_ingest(name, embedder, ws, prof)
        print(f"[{name}] profiled run: {t.seconds:.1f} s (cProfile adds overhead)")
        show_profile(prof, top)
    return (
        f"| {name} | {len(texts)} | {raw:.0f} | {raw_units:.0f} | {med['rate']:.0f} | {med['sql_s']:.2f} | "
        f"{med['embed_s']:.1f} | {med['other_s']:.1f} | {med['rate'] / raw:.0%} | "
        f"{med['rate'] / raw_units:.0%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="messages")
    parser.add_argument("--embedders", default="minilm,use", help="comma list of: minilm, use")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of (a)+(b); medians are reported")
    parser.add_argument("--profile", action="store_true", help="profile a second full ingest (cProfile)")
    parser.add_argument("--top", type=int, default=15, help="functions listed by own time in the profile")
    parser.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads (0: default)")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes to run alongside (an LLM)")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        rows = [
            run(name, args.n, args.seed, args.repeat, args.profile, args.top)
            for name in args.embedders.split(",")
        ]
    finally:
        for hog in hogs:  # only the processes started above
            hog.kill()
            hog.wait()
    if args.busy or args.torch_threads:
        print(f"\nwith {args.busy} busy processes alongside; torch threads {args.torch_threads or 'default'}")
    print(
        "\n| embedder | messages | raw msg texts/s | raw unit texts/s | full ingest msgs/s | SQL ingest s "
        "| embedding s | other indexing s | ratio vs raw msgs | ratio vs raw units |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
