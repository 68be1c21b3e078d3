"""Point-in-time training frames: stock Feast (duckdb offline store) vs ours vs a raw DuckDB ASOF join.

Same Parquet data for all three, one process run, each engine measured in its own child
process (wall time = median of repeats within a time budget; peak RSS = the child's high-water
mark). Two feature views of 1M rows each (a driver view and a compound-key store view, both with
created timestamps and TTLs), entity frames of 10k / 100k / 1M rows. Shapes: "dense" (default:
1,000 drivers and 500 stores, each reporting every hour, Feast's driver_hourly_stats pattern)
and "sparse" (100k drivers and 20k stores reporting at random times). Stock Feast's cost grows
with the feature rows inside each entity row's TTL window (dense: ~24, sparse: ~1); ours does not.

    .venv/bin/python benchmarks/historical.py                 # full run
    .venv/bin/python benchmarks/historical.py --quick         # small, ~1 min
    .venv/bin/python benchmarks/historical.py --sizes 10000,100000 --engines ours,raw
    .venv/bin/python benchmarks/historical.py --memory-rows 10000000 --engines none

"raw" is the floor: the entity DataFrame registered in DuckDB, one ``ASOF LEFT JOIN`` per view
with the TTL as a CASE, fetched as a DataFrame: no Feast, no ordering, no checks. The data has
no (key, event time) ties, so raw, stock and ours compute the same answer (``--check`` verifies).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import median, print_table, rss_mb, run_isolated, timed_runs, write_results  # noqa: E402

DAYS = 30
DRIVERS = 100_000
REGIONS = [f"r{i:02d}" for i in range(20)]
STORES = 1_000
FEATURES = [
    "driver_stats:conv_rate", "driver_stats:acc_rate", "driver_stats:trips",
    "store_sales:sales", "store_sales:visits",
]
ENGINES = ("stock", "ours", "raw")


# --------------------------------------------------------------------------- data


def _stamps(rng, n: int):
    import numpy as np
    import pandas as pd

    start = pd.Timestamp("2024-01-01", tz="UTC").value
    seconds = rng.integers(0, DAYS * 86_400, n, dtype=np.int64)
    return pd.to_datetime(start + seconds * 1_000_000_000, utc=True)


def _dense_view(rng, keys: "pd.DataFrame", rows: int) -> "pd.DataFrame":
    """Every key reports every hour (Feast's driver_hourly_stats shape)."""
    import numpy as np
    import pandas as pd

    hours = max(1, rows // len(keys))
    start = pd.Timestamp("2024-01-01", tz="UTC")
    frame = keys.loc[keys.index.repeat(hours)].reset_index(drop=True)
    frame["event_ts"] = start + pd.to_timedelta(np.tile(np.arange(hours), len(keys)), unit="h")
    return frame


def _sparse_view(rng, keys: "pd.DataFrame", rows: int) -> "pd.DataFrame":
    """Keys report at random seconds over DAYS days: about one row per key per TTL window."""
    frame = keys.sample(n=rows, replace=True, random_state=int(rng.integers(1 << 30))).reset_index(drop=True)
    frame["event_ts"] = _stamps(rng, rows)
    return frame


SHAPES = {
    # (driver keys, store keys per region, view builder)
    "dense": (1_000, 25, _dense_view),
    "sparse": (DRIVERS, STORES, _sparse_view),
}


def make_data(directory: Path, feature_rows: int, sizes: list[int], shape: str = "dense", seed: int = 0) -> None:
    """Two views of ``feature_rows`` rows, unique per (key, event time), and one entity frame per size."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    drivers_n, stores_n, build = SHAPES[shape]
    driver_keys = pd.DataFrame({"driver_id": np.arange(drivers_n)})
    store_keys = pd.DataFrame([(r, s) for r in REGIONS for s in range(stores_n)], columns=["region", "store_id"])
    for name, keys, features in (
        ("driver_stats", driver_keys, lambda n: {"conv_rate": rng.random(n), "acc_rate": rng.random(n),
                                                 "trips": rng.integers(0, 1_000, n)}),
        ("store_sales", store_keys, lambda n: {"sales": rng.normal(1_000, 250, n), "visits": rng.integers(0, 5_000, n)}),
    ):
        frame = build(rng, keys, feature_rows).drop_duplicates([*keys.columns, "event_ts"])
        n = len(frame)
        frame["created"] = frame["event_ts"] + pd.to_timedelta(rng.integers(0, 3_600, n), unit="s")
        for column, values in features(n).items():
            frame[column] = values
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    span = pd.read_parquet(directory / "driver_stats.parquet", columns=["event_ts"])["event_ts"]
    low, high = span.min().value, span.max().value
    for size in sizes:
        entities = pd.DataFrame({
            "driver_id": rng.integers(0, int(drivers_n * 1.05), size),
            "region": rng.choice(REGIONS, size),
            "store_id": rng.integers(0, stores_n, size),
            "event_timestamp": pd.to_datetime(rng.integers(low, high, size) // 10**9 * 10**9, utc=True),
            "label": rng.integers(0, 2, size),
        })
        entities["row_id"] = np.arange(size)
        entities.to_parquet(directory / f"entities-{size}.parquet", index=False)


# --------------------------------------------------------------------------- engines (children)


def _feast_store(directory: Path, engine: str, memory_limit: str | None = None):
    from datetime import timedelta

    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, RepoConfig
    from feast.types import Float64, Int64
    from feast.value_type import ValueType

    offline = {"type": "duckdb"} if engine == "stock" else {"type": "featureguard.offline_store.AsofOfflineStore"}
    if memory_limit and engine == "ours":
        offline["memory_limit"] = memory_limit
    work = Path(tempfile.mkdtemp(prefix=f"fg-bench-{engine}-"))
    config = RepoConfig(
        project="bench", provider="local", registry=str(work / "registry.db"),
        online_store={"type": "sqlite", "path": str(work / "online.db")},
        offline_store=offline, entity_key_serialization_version=3, repo_path=str(directory),
    )
    driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
    region = Entity(name="region", join_keys=["region"], value_type=ValueType.STRING)
    store_e = Entity(name="store", join_keys=["store_id"], value_type=ValueType.INT64)

    def source(name: str) -> FileSource:
        return FileSource(name=f"{name}_src", path=str(directory / f"{name}.parquet"),
                          timestamp_field="event_ts", created_timestamp_column="created")

    views = [
        FeatureView(name="driver_stats", entities=[driver], ttl=timedelta(days=2), source=source("driver_stats"),
                    schema=[Field(name="conv_rate", dtype=Float64), Field(name="acc_rate", dtype=Float64),
                            Field(name="trips", dtype=Int64)]),
        FeatureView(name="store_sales", entities=[region, store_e], ttl=timedelta(days=1), source=source("store_sales"),
                    schema=[Field(name="sales", dtype=Float64), Field(name="visits", dtype=Int64)]),
    ]
    store = FeatureStore(config=config)
    store.apply([driver, region, store_e, *views])
    return store


RAW_SQL = """
SELECT e.*,
  CASE WHEN d.event_ts >= e.event_timestamp - INTERVAL 2 DAY THEN d.conv_rate END AS conv_rate,
  CASE WHEN d.event_ts >= e.event_timestamp - INTERVAL 2 DAY THEN d.acc_rate END AS acc_rate,
  CASE WHEN d.event_ts >= e.event_timestamp - INTERVAL 2 DAY THEN d.trips END AS trips,
  CASE WHEN s.event_ts >= e.event_timestamp - INTERVAL 1 DAY THEN s.sales END AS sales,
  CASE WHEN s.event_ts >= e.event_timestamp - INTERVAL 1 DAY THEN s.visits END AS visits
FROM entities e
ASOF LEFT JOIN read_parquet('{dir}/driver_stats.parquet') d
  ON e.driver_id = d.driver_id AND e.event_timestamp >= d.event_ts
ASOF LEFT JOIN read_parquet('{dir}/store_sales.parquet') s
  ON e.region = s.region AND e.store_id = s.store_id AND e.event_timestamp >= s.event_ts
"""


def bench_engine(engine: str, directory: str, size: int, repeats: int, budget_s: float,
                 save: str | None = None, memory_limit: str | None = None) -> dict:
    """Runs in a child: set up the engine, load the entity frame, time the retrievals."""
    import pandas as pd

    data = Path(directory)
    entities = pd.read_parquet(data / f"entities-{size}.parquet")
    if engine == "raw":
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")

        def call():
            con.register("entities", entities)
            frame = con.sql(RAW_SQL.format(dir=data)).df()
            con.unregister("entities")
            return frame
    else:
        store = _feast_store(data, engine, memory_limit)

        def call():
            return store.get_historical_features(entity_df=entities, features=FEATURES).to_df()

    gc.collect()
    baseline = rss_mb()
    times = timed_runs(call, repeats, budget_s)
    out = {"engine": engine, "size": size, "times": times, "baseline_rss_mb": baseline}
    if save:
        frame = call()
        frame.to_parquet(save, index=False)
        out["rows"] = len(frame)
    return out


def bench_memory(directory: str, size: int, memory_limit: str | None) -> dict:
    """Runs in a child: one large retrieval with ours; RSS before, peak, and the output's size."""
    import pandas as pd

    from _common import peak_rss_mb

    data = Path(directory)
    entities = pd.read_parquet(data / f"entities-{size}.parquet")
    store = _feast_store(data, "ours", memory_limit)
    gc.collect()
    before, peak_before = rss_mb(), peak_rss_mb()
    start = time.perf_counter()
    frame = store.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    seconds = time.perf_counter() - start
    return {
        "size": size, "memory_limit": memory_limit, "seconds": seconds, "rss_before_mb": before,
        "peak_before_mb": peak_before, "rss_after_mb": rss_mb(),
        "entity_frame_mb": entities.memory_usage(deep=True).sum() / 2**20,
        "output_mb": frame.memory_usage(deep=True).sum() / 2**20, "rows": len(frame),
    }


# --------------------------------------------------------------------------- parent


def _check(saved: dict[str, str]) -> None:
    import pandas as pd

    frames = {e: pd.read_parquet(p).sort_values("row_id").reset_index(drop=True) for e, p in saved.items()}
    first, *others = frames
    for other in others:
        for column in frames[first].columns:
            a, b = frames[first][column], frames[other][column]
            if column == "event_timestamp":
                a, b = pd.to_datetime(a, utc=True), pd.to_datetime(b, utc=True)
            same = (a.isna() == b.isna()).all() and (a[a.notna()] == b[b.notna()]).all()
            if not same:
                raise SystemExit(f"--check: {first} and {other} differ in column {column!r}")
    print(f"--check: {', '.join(frames)} return the same rows, values and nulls")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="entity rows, comma-separated")
    parser.add_argument("--feature-rows", type=int, default=1_000_000, help="rows per feature view")
    parser.add_argument("--engines", default=",".join(ENGINES), help="stock,ours,raw (or none)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=40.0, help="seconds of repeats per engine and size")
    parser.add_argument("--quick", action="store_true", help="100k feature rows, 1k/10k entity rows")
    parser.add_argument("--check", action="store_true", help="verify all engines agree at the smallest size")
    parser.add_argument("--memory-rows", type=int, default=0, help="also run ours once at this many rows")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for ours, e.g. 2GB")
    parser.add_argument("--data-dir", default=None, help="keep data here (default: a temp dir)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="dense",
                        help="dense: 1k drivers / 500 stores reporting hourly; sparse: 100k / 20k keys at random times")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.feature_rows = "1000,10000", 100_000
    sizes = [int(s) for s in args.sizes.split(",") if s]
    engines = [e for e in args.engines.split(",") if e in ENGINES]
    directory = Path(args.data_dir or tempfile.mkdtemp(prefix="fg-bench-data-"))
    directory.mkdir(parents=True, exist_ok=True)
    all_sizes = sizes + ([args.memory_rows] if args.memory_rows else [])
    start = time.perf_counter()
    run_isolated(make_data, directory, args.feature_rows, all_sizes, args.shape)
    print(f"data ({args.shape}): 2 views x {args.feature_rows:,} rows, entity frames {all_sizes} in {directory} "
          f"({time.perf_counter() - start:.0f} s)\n", flush=True)

    rows, saved = [], {}
    for size in sizes:
        by_engine = {}
        for engine in engines:
            save = str(directory / f"result-{engine}.parquet") if args.check and size == sizes[0] else None
            result = run_isolated(bench_engine, engine, str(directory), size, args.repeats, args.budget, save,
                                  args.memory_limit)
            if save:
                saved[engine] = save
            by_engine[engine] = result
            result["median_s"] = median(result["times"])
            rows.append({"size": f"{size:,}", "engine": engine, "median_s": result["median_s"],
                         "first_s": result["times"][0], "runs": len(result["times"]),
                         "peak_rss_mb": result["peak_rss_mb"],
                         "baseline_rss_mb": result["baseline_rss_mb"]})
            print(f"  {size:>10,} {engine:<6} {result['median_s']:8.3f} s  peak {result['peak_rss_mb']:,.0f} MiB",
                  flush=True)
        ours = by_engine.get("ours")
        if ours:
            row = next(r for r in rows[-len(by_engine):] if r["engine"] == "ours")
            if "stock" in by_engine:
                row["stock_over_ours"] = by_engine["stock"]["median_s"] / ours["median_s"]
                row["rss_ours_over_stock"] = ours["peak_rss_mb"] / by_engine["stock"]["peak_rss_mb"]
            if "raw" in by_engine:
                row["ours_over_raw"] = ours["median_s"] / by_engine["raw"]["median_s"]
    if rows:
        print()
        print_table(rows, [("size", "entity rows"), ("engine", "engine"), ("median_s", "median s"),
                           ("first_s", "first s"), ("runs", "runs"), ("peak_rss_mb", "peak RSS MiB"),
                           ("baseline_rss_mb", "RSS before MiB"), ("stock_over_ours", "stock/ours time"),
                           ("ours_over_raw", "ours/raw time"), ("rss_ours_over_stock", "ours/stock RSS")])
    if args.check and saved:
        _check(saved)

    memory = None
    if args.memory_rows:
        memory = run_isolated(bench_memory, str(directory), args.memory_rows, args.memory_limit)
        working = memory["peak_rss_mb"] - memory["rss_before_mb"] - memory["output_mb"]
        memory["working_set_mb"] = working
        print(f"\nours at {args.memory_rows:,} entity rows (memory_limit={args.memory_limit}): "
              f"{memory['seconds']:.1f} s; RSS before {memory['rss_before_mb']:,.0f} MiB "
              f"(entity frame {memory['entity_frame_mb']:,.0f} MiB), peak {memory['peak_rss_mb']:,.0f} MiB, "
              f"output {memory['output_mb']:,.0f} MiB -> peak - before - output = {working:,.0f} MiB")
    path = write_results("historical", {"args": vars(args), "rows": rows, "memory": memory})
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
