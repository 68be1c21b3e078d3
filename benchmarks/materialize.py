"""Materialization into Redis: stock Feast's local engine vs ``BulkRedisComputeEngine``.

Same Parquet data, same repo definitions, same redis-server (stock writes db 0, ours db 1), one
process run. Each engine runs in its own freshly spawned interpreter, so peak RSS is its own.
Default shape: 1M rows, 200k entities (int64 key, 5 rows each over 30 days), 8 Float64 features.

Engines:
  stock       Feast's local engine, our DuckDB offline store (only the engine differs from ours)
  stock-file  Feast's local engine with Feast's own file (dask) offline store: all-stock Feast
  ours        BulkRedisComputeEngine, our DuckDB offline store

Two measurements per engine:
  api   ``FeatureStore.materialize`` over the whole window into an empty db, median of repeats
        in one interpreter (Redis flushed before each); peak RSS of that interpreter.
  cli   ``feast materialize`` in a fresh interpreter, timed from before ``import feast`` to the
        command's return: what a user waits for, import cost included; its peak RSS.
Afterwards the two Redis databases are compared hash by hash (they must be identical), and a
second ``ours`` run over already-materialized data (nothing newer: only the timestamp reads)
is timed.

    .venv/bin/python benchmarks/materialize.py            # full run (several minutes)
    .venv/bin/python benchmarks/materialize.py --quick    # 100k rows / 20k entities, ~1 min
    .venv/bin/python benchmarks/materialize.py --engines ours,stock --repeats 5
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import median, print_table, run_isolated, write_results  # noqa: E402

FEATURES = [f"f{i}" for i in range(8)]
DAYS = 30
START = "2024-01-01T00:00:00+00:00"
END = "2024-02-01T00:00:00+00:00"
BULK = "services.materialize.BulkRedisComputeEngine"


def make_data(directory: Path, rows: int, entities: int, seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(entities, dtype=np.int64), rows // entities)
    rng.shuffle(ids)
    n = len(ids)
    frame = pd.DataFrame({"entity_id": ids})
    frame["event_ts"] = pd.Timestamp(START) + pd.to_timedelta(rng.integers(0, DAYS * 86_400_000_000, n), unit="us")
    for name in FEATURES:
        frame[name] = rng.random(n)
    frame.to_parquet(directory / "metrics.parquet", index=False)


def _repo_config(data: Path, work: Path, engine: str, redis_conn: str) -> dict:
    offline = {"type": "file"} if engine == "stock-file" else {"type": "services.offline_store.AsofOfflineStore"}
    return {
        "project": "bench", "provider": "local", "registry": str(work / "registry.db"),
        "online_store": {"type": "redis", "connection_string": redis_conn},
        "offline_store": offline,
        "batch_engine": {"type": BULK} if engine == "ours" else "local",
        "entity_key_serialization_version": 3,
    }


def _objects(data: Path) -> list:
    from datetime import timedelta

    from feast import Entity, FeatureView, Field, FileSource
    from feast.types import Float64
    from feast.value_type import ValueType

    entity = Entity(name="entity", join_keys=["entity_id"], value_type=ValueType.INT64)
    source = FileSource(name="metrics_src", path=str(data / "metrics.parquet"), timestamp_field="event_ts")
    view = FeatureView(name="metrics", entities=[entity], ttl=timedelta(days=DAYS), source=source,
                       schema=[Field(name=f, dtype=Float64) for f in FEATURES], online=True)
    return [entity, view]


def prepare_repo(data: Path, engine: str, redis_conn: str) -> dict:
    """A repo directory with feature_store.yaml and an applied registry (runs in a child)."""
    import yaml
    from feast import FeatureStore, RepoConfig

    work = Path(tempfile.mkdtemp(prefix=f"fg-bench-mat-{engine}-"))
    raw = _repo_config(data, work, engine, redis_conn)
    (work / "feature_store.yaml").write_text(yaml.safe_dump(raw))
    store = FeatureStore(config=RepoConfig(repo_path=work, **raw))
    with contextlib.redirect_stdout(io.StringIO()):
        store.apply(_objects(data))
    return {"repo": str(work)}


def _flush(port: int, db: int) -> None:
    import redis

    with redis.Redis(port=port, db=db) as client:
        client.flushdb()


def bench_api(repo: str, port: int, db: int, repeats: int, rerun: bool = False) -> dict:
    """In a child: ``FeatureStore.materialize`` ``repeats`` times into a flushed db."""
    from datetime import datetime

    from feast import FeatureStore

    store = FeatureStore(repo_path=repo)
    start, end = datetime.fromisoformat(START), datetime.fromisoformat(END)
    times, loads = [], []
    for _ in range(repeats):
        if not rerun:
            _flush(port, db)
        loads.append(os.getloadavg()[0])
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            store.materialize(start_date=start, end_date=end)
        times.append(time.perf_counter() - began)
    return {"times": times, "loads": loads}


def bench_cli(repo: str, port: int, db: int) -> dict:
    """In a fresh child: ``feast materialize``, import included."""
    _flush(port, db)
    load = os.getloadavg()[0]
    began = time.perf_counter()
    from feast.cli.cli import cli

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            cli.main(["-c", repo, "materialize", START, END], standalone_mode=False)
        except SystemExit as done:
            if done.code:
                raise
    return {"times": [time.perf_counter() - began], "loads": [load]}


def compare(port: int) -> tuple[int, int, int]:
    """(keys in db 0, keys in db 1, hashes that differ)."""
    import redis

    dumps = []
    for db in (0, 1):
        client = redis.Redis(port=port, db=db)
        keys = list(client.scan_iter(count=5000))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        dumps.append(dict(zip(keys, pipe.execute())))
        client.close()
    stock, ours = dumps
    differ = sum(1 for key in stock.keys() | ours.keys() if stock.get(key) != ours.get(key))
    return len(stock), len(ours), differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100k rows / 20k entities, 1 repeat")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engines", default="stock,stock-file,ours")
    parser.add_argument("--no-cli", action="store_true", help="skip the `feast materialize` CLI runs")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.entities, args.repeats = 100_000, 20_000, 1
    engines = [e for e in args.engines.split(",") if e]

    from services.redis_process import RedisProcess

    data = Path(tempfile.mkdtemp(prefix="fg-bench-mat-data-"))
    make_data(data, args.rows, args.entities)
    print(f"{args.rows:,} rows, {args.entities:,} entities x {len(FEATURES)} Float64 features; "
          f"engines {engines}; load average {os.getloadavg()[0]:.2f}")
    results: list[dict] = []
    with RedisProcess() as server:
        db_of = {"stock": 0, "stock-file": 0, "ours": 1}
        repos = {e: run_isolated(prepare_repo, data, e, f"{server.feast_connection_string},db={db_of[e]}")["repo"]
                 for e in engines}
        for engine in engines:
            for kind in ("api", "cli"):
                if kind == "cli" and args.no_cli:
                    continue
                if kind == "api":
                    out = run_isolated(bench_api, repos[engine], server.port, db_of[engine], args.repeats)
                else:
                    out = run_isolated(bench_cli, repos[engine], server.port, db_of[engine])
                row = {"engine": engine, "kind": kind, "seconds": median(out["times"]),
                       "runs": len(out["times"]), "peak_rss_mb": out["peak_rss_mb"],
                       "load": median(out["loads"]), "times": out["times"]}
                results.append(row)
                print(f"  {engine:>10} {kind}: {row['seconds']:.2f} s (runs {[round(t, 2) for t in out['times']]}), "
                      f"peak RSS {row['peak_rss_mb']:,.0f} MB, load {row['load']:.2f}", flush=True)
        if "ours" in engines:
            rerun = run_isolated(bench_api, repos["ours"], server.port, 1, 1, rerun=True)
            results.append({"engine": "ours", "kind": "api (nothing newer)", "seconds": rerun["times"][0],
                            "runs": 1, "peak_rss_mb": rerun["peak_rss_mb"], "load": rerun["loads"][0]})
        identical = None
        if "ours" in engines and ({"stock", "stock-file"} & set(engines)):  # db 0: the last stock run
            keys_stock, keys_ours, differ = compare(server.port)
            identical = differ == 0 and keys_stock == keys_ours
            print(f"Redis contents: stock {keys_stock:,} keys, ours {keys_ours:,} keys, {differ:,} hashes differ")

    by = {(r["engine"], r["kind"]): r for r in results}
    for row in results:
        for base in ("stock", "stock-file"):
            ref = by.get((base, row["kind"].split(" ")[0]))
            if ref and row["engine"] == "ours" and row["kind"] in ("api", "cli"):
                row[f"x_{base}"] = ref["seconds"] / row["seconds"]
                row[f"rss_{base}"] = row["peak_rss_mb"] / ref["peak_rss_mb"]
    print()
    print_table(results, [("engine", "engine"), ("kind", "run"), ("seconds", "seconds"), ("runs", "runs"),
                          ("peak_rss_mb", "peak RSS MB"), ("load", "load"),
                          ("x_stock", "speed-up vs stock"), ("rss_stock", "RSS / stock"),
                          ("x_stock-file", "speed-up vs stock-file"), ("rss_stock-file", "RSS / stock-file")])
    path = write_results("materialize", {"rows": args.rows, "entities": args.entities, "results": results,
                                         "identical": identical})
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
