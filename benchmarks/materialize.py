"""Materialization into Redis: stock Feast's local engine vs ``BulkRedisComputeEngine``.

Same Parquet data, same repo definitions, same redis-server (stock writes db 0, ours db 1), one
process run. Each engine runs in its own freshly spawned interpreter, so peak RSS is its own.
1M rows, 200k entities (int64 key, 5 rows each over 30 days), in one of two shapes (--shape):
  float64  8 Float64 features (the first shape measured)
  mixed    6 Float32 (5 % NaN in one), 1 Int64 and 1 String feature, and a created-timestamp
           column: what a real view looks like

Engines:
  stock       Feast's local engine, our DuckDB offline store (only the engine differs from ours)
  stock-file  Feast's local engine with Feast's own file (dask) offline store: all-stock Feast
  ours        BulkRedisComputeEngine, our DuckDB offline store
  ours+contract  the same, every row also checked against a contract (ranges, keys, uniqueness)

Two measurements per engine:
  api   ``FeatureStore.materialize`` over the whole window into an empty db, median of repeats
        in one interpreter (Redis flushed before each); peak RSS of that interpreter.
  cli   ``feast materialize`` in a fresh interpreter, timed from before ``import feast`` to the
        command's return: what a user waits for, import cost included; its peak RSS.
API runs also report the CPU seconds redis-server spent (the floor for any client). Afterwards
the two Redis databases are compared hash by hash (they must be identical), and a
second ``ours`` run over already-materialized data (nothing newer: only the timestamp reads)
is timed.

    .venv/bin/python benchmarks/materialize.py            # full run (several minutes)
    .venv/bin/python benchmarks/materialize.py --quick    # 100k rows / 20k entities, ~1 min
    .venv/bin/python benchmarks/materialize.py --engines ours,stock --repeats 5
    .venv/bin/python benchmarks/materialize.py --shape mixed --engines stock,ours --no-cli
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

#: per shape: (feature, Feast type) in view order, the feature with 5 % NaN, a created column?
SHAPES = {
    "float64": {"features": [(f"f{i}", "Float64") for i in range(8)], "nan": None, "created": False},
    "mixed": {"features": [*((f"f{i}", "Float32") for i in range(6)), ("trips", "Int64"), ("route", "String")],
              "nan": "f0", "created": True},
}
DAYS = 30
START = "2024-01-01T00:00:00+00:00"
END = "2024-02-01T00:00:00+00:00"
BULK = "featureguard.materialize.BulkRedisComputeEngine"


def make_data(directory: Path, rows: int, entities: int, shape: str = "float64", seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    spec = SHAPES[shape]
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(entities, dtype=np.int64), rows // entities)
    rng.shuffle(ids)
    n = len(ids)
    frame = pd.DataFrame({"entity_id": ids})
    frame["event_ts"] = pd.Timestamp(START) + pd.to_timedelta(rng.integers(0, DAYS * 86_400_000_000, n), unit="us")
    if spec["created"]:  # written up to an hour after the event
        frame["created_ts"] = frame["event_ts"] + pd.to_timedelta(rng.integers(0, 3_600_000_000, n), unit="us")
    pick = np.random.default_rng(seed + 1)  # its own stream: the float64 shape's data stays as it was
    routes = np.array([f"{a}-{b}" + "x" * (i % 7) for i, (a, b) in enumerate(
        zip(pick.choice(["JFK", "LGA", "EWR", "SFO", "ORD", "ATL", "DFW", "SEA"], 400),
            pick.choice(["LAX", "BOS", "MIA", "DEN", "PHX", "IAH", "MSP", "DTW"], 400)))], dtype=object)
    for name, kind in spec["features"]:
        if kind == "Float64":
            frame[name] = rng.random(n)
        elif kind == "Float32":
            frame[name] = rng.random(n, dtype=np.float32)
            if name == spec["nan"]:
                frame.loc[rng.random(n) < 0.05, name] = np.nan
        elif kind == "Int64":
            frame[name] = rng.integers(0, 5_000, n)
        else:
            frame[name] = routes[rng.integers(0, len(routes), n)]
    frame.to_parquet(directory / "metrics.parquet", index=False)


def _repo_config(data: Path, work: Path, engine: str, redis_conn: str) -> dict:
    offline = {"type": "file"} if engine == "stock-file" else {"type": "featureguard.offline_store.AsofOfflineStore"}
    return {
        "project": "bench", "provider": "local", "registry": str(work / "registry.db"),
        "online_store": {"type": "redis", "connection_string": redis_conn},
        "offline_store": offline,
        "batch_engine": {"type": BULK} if engine == "ours" else "local",
        "entity_key_serialization_version": 3,
    }


def _objects(data: Path, shape: str) -> list:
    from datetime import timedelta

    from feast import Entity, FeatureView, Field, FileSource, types
    from feast.value_type import ValueType

    spec = SHAPES[shape]
    entity = Entity(name="entity", join_keys=["entity_id"], value_type=ValueType.INT64)
    source = FileSource(name="metrics_src", path=str(data / "metrics.parquet"), timestamp_field="event_ts",
                        created_timestamp_column="created_ts" if spec["created"] else "")
    view = FeatureView(name="metrics", entities=[entity], ttl=timedelta(days=DAYS), source=source,
                       schema=[Field(name=f, dtype=getattr(types, kind)) for f, kind in spec["features"]], online=True)
    return [entity, view]


def prepare_repo(data: Path, engine: str, redis_conn: str, shape: str = "float64") -> dict:
    """A repo directory with feature_store.yaml and an applied registry (runs in a child)."""
    import yaml
    from feast import FeatureStore, RepoConfig

    work = Path(tempfile.mkdtemp(prefix=f"fg-bench-mat-{engine}-"))
    raw = _repo_config(data, work, engine, redis_conn)
    (work / "feature_store.yaml").write_text(yaml.safe_dump(raw))
    store = FeatureStore(config=RepoConfig(repo_path=work, **raw))
    with contextlib.redirect_stdout(io.StringIO()):
        store.apply(_objects(data, shape))
    return {"repo": str(work)}


def _flush(port: int, db: int) -> None:
    import redis

    with redis.Redis(port=port, db=db) as client:
        client.flushdb()


def _redis_cpu(port: int) -> float:
    """CPU seconds the redis-server has used so far (user + system)."""
    import redis

    with redis.Redis(port=port) as client:
        info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def bench_contract(shape: str = "float64"):
    """A contract for the benchmark view, as the repo's contracts look: ranges, keys, time."""
    import pandera.pandas as pa

    from featureguard.contracts.model import Contract, utc_timestamp_column

    checks = {"Float64": (float, pa.Check.in_range(0.0, 1.0)), "Float32": ("float32", pa.Check.in_range(0.0, 1.0)),
              "Int64": ("int64", pa.Check.ge(0)), "String": (str, pa.Check.str_length(3, 20))}
    columns = {"entity_id": pa.Column("int64", pa.Check.ge(0), nullable=False), "event_ts": utc_timestamp_column(),
               **({"created_ts": utc_timestamp_column()} if SHAPES[shape]["created"] else {}),
               **{f: pa.Column(checks[k][0], checks[k][1], nullable=True) for f, k in SHAPES[shape]["features"]}}
    schema = pa.DataFrameSchema(columns, unique=["entity_id", "event_ts"], strict=True, coerce=True, name="bench")
    return Contract(name="bench_metrics", version="1.0.0", owner="bench@featureguard.example",
                    description="Benchmark metrics.", entity_columns=("entity_id",), timestamp_column="event_ts",
                    schema=schema)


def bench_api(repo: str, port: int, db: int, repeats: int, rerun: bool = False, contract: bool = False,
              shape: str = "float64", profile: str | None = None) -> dict:
    """In a child: ``FeatureStore.materialize`` ``repeats`` times into a flushed db; with
    ``contract`` every row is also checked against :func:`bench_contract`."""
    from datetime import datetime

    from feast import FeatureStore

    if contract:
        from featureguard.materialize import validate

        checked = bench_contract(shape)
        validate.contract_for = lambda view: checked  # as if the view's tag named it

    store = FeatureStore(repo_path=repo)
    start, end = datetime.fromisoformat(START), datetime.fromisoformat(END)
    times, loads, redis_cpu = [], [], []
    for _ in range(repeats):
        if not rerun:
            _flush(port, db)
        loads.append(os.getloadavg()[0])
        cpu = _redis_cpu(port)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            store.materialize(start_date=start, end_date=end)
        times.append(time.perf_counter() - began)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{profile}.{len(times)}")
        redis_cpu.append(_redis_cpu(port) - cpu)
    return {"times": times, "loads": loads, "redis_cpu": redis_cpu}


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


# A compare-and-set in Redis: the alternative to reading timestamps, then writing. It decodes the
# stored google.protobuf.Timestamp (non-negative seconds suffice for this data) and writes only
# when the new time is later, atomically.
LUA_CAS = """
local function ts(b)
  local s, n, i = 0, 0, 1
  while i <= #b do
    local tag = string.byte(b, i); i = i + 1
    local v, m, c = 0, 1, 128
    while c >= 128 do c = string.byte(b, i); i = i + 1; v = v + (c % 128) * m; m = m * 128 end
    if tag == 8 then s = v elseif tag == 16 then n = v end
  end
  return s, n
end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and #cur > 0 then
  local s0, n0 = ts(cur)
  local s1, n1 = ts(ARGV[2])
  if s1 < s0 or (s1 == s0 and n1 <= n0) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], unpack(ARGV, 4))
if ARGV[3] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""


def bench_dedup(data: str, port: int, rows_limit: int) -> dict:
    """In a child: Redis wall and CPU time of the two never-overwrite-newer strategies on the
    benchmark's newest rows (one per entity): read-then-write (what the engine does) and a Lua
    compare-and-set per key, into an empty db and again with nothing newer."""
    import duckdb
    import pyarrow as pa
    import redis

    from featureguard.materialize import resp
    from featureguard.materialize.view import ViewLayout
    from featureguard.materialize.protowire import timestamp_protos
    from featureguard.materialize.wire import Wire
    from featureguard.redis.resp import pack
    from featureguard.redis.target import RedisTarget

    table = duckdb.sql(f"SELECT * FROM read_parquet('{data}/metrics.parquet') QUALIFY "
                       "row_number() OVER (PARTITION BY entity_id ORDER BY event_ts DESC) = 1").to_arrow_table()
    batch = table.slice(0, rows_limit).combine_chunks().to_batches()[0]
    features = [f for f, _ in SHAPES["float64"]["features"]]
    layout = ViewLayout.build("bench", "metrics", [("entity_id", 4)], [(f, 5) for f in features], "event_ts")
    keys = layout.redis_keys(batch)
    values = [*layout.value_arrays(batch), timestamp_protos(layout.event_micros(batch))]
    hset = resp.hset_rows(keys, layout.fields, values)
    hget = resp.hget_rows(keys, layout.ts_field)
    client = redis.Redis(port=port, db=2)
    sha = client.script_load(LUA_CAS)
    columns = [v.to_pylist() for v in values]
    lua = pa.array([pack("EVALSHA", sha, 1, key, layout.ts_field, columns[-1][i], 0,
                         *[a for f, c in zip(layout.fields[:-1], columns[:-1]) for a in (f, c[i])])
                    for i, key in enumerate(keys.to_pylist())], type=pa.binary())
    wire = Wire(RedisTarget.from_url(f"redis://127.0.0.1:{port}/2"), timeout=120)
    out = {}
    for strategy in ("read-then-write", "lua"):
        for state in ("empty", "nothing newer"):
            if state == "empty":
                client.flushdb()
            cpu = _redis_cpu(port)
            began = time.perf_counter()
            if strategy == "lua":
                wire.collect(wire.send(lua, keys))
            else:
                wire.collect(wire.send(hget, keys, parsed=True))
                if state == "empty":
                    wire.collect(wire.send(hset, keys))
            out[f"{strategy}|{state}"] = (time.perf_counter() - began, _redis_cpu(port) - cpu)
    assert client.dbsize() == len(batch)
    client.flushdb()
    wire.close()
    return {"dedup": out, "rows": len(batch)}


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
    parser.add_argument("--engines", default="stock,stock-file,ours,ours+contract")
    parser.add_argument("--no-cli", action="store_true", help="skip the `feast materialize` CLI runs")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="float64")
    parser.add_argument("--profile", metavar="PREFIX", help="cProfile each `ours` api run into PREFIX.<run>")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.entities, args.repeats = 100_000, 20_000, 1
    engines = [e for e in args.engines.split(",") if e]

    from featureguard.redis_process import RedisProcess

    data = Path(tempfile.mkdtemp(prefix="fg-bench-mat-data-"))
    make_data(data, args.rows, args.entities, args.shape)
    kinds = ", ".join(f"{f}:{k}" for f, k in SHAPES[args.shape]["features"])
    print(f"{args.rows:,} rows, {args.entities:,} entities, shape {args.shape} ({kinds}"
          f"{', created_ts' if SHAPES[args.shape]['created'] else ''}); engines {engines}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: list[dict] = []
    with RedisProcess() as server:
        db_of = {"stock": 0, "stock-file": 0, "ours": 1, "ours+contract": 1}
        repos = {e: run_isolated(prepare_repo, data, e.split("+")[0],
                                 f"{server.feast_connection_string},db={db_of[e]}", args.shape)["repo"] for e in engines}
        for engine in engines:
            for kind in ("api", "cli"):
                if kind == "cli" and (args.no_cli or engine == "ours+contract"):
                    continue
                if kind == "api":
                    out = run_isolated(bench_api, repos[engine], server.port, db_of[engine], args.repeats,
                                       contract=engine == "ours+contract", shape=args.shape,
                                       profile=args.profile if engine == "ours" else None)
                else:
                    out = run_isolated(bench_cli, repos[engine], server.port, db_of[engine])
                row = {"engine": engine, "kind": kind, "seconds": median(out["times"]),
                       "runs": len(out["times"]), "peak_rss_mb": out["peak_rss_mb"],
                       "load": median(out["loads"]), "times": out["times"],
                       "redis_cpu": median(out["redis_cpu"]) if "redis_cpu" in out else None}
                results.append(row)
                print(f"  {engine:>10} {kind}: {row['seconds']:.2f} s (runs {[round(t, 2) for t in out['times']]}), "
                      f"peak RSS {row['peak_rss_mb']:,.0f} MB, load {row['load']:.2f}", flush=True)
        if "ours" in engines:
            rerun = run_isolated(bench_api, repos["ours"], server.port, 1, 1, rerun=True)
            results.append({"engine": "ours", "kind": "api (nothing newer)", "seconds": rerun["times"][0],
                            "runs": 1, "peak_rss_mb": rerun["peak_rss_mb"], "load": rerun["loads"][0],
                            "redis_cpu": rerun["redis_cpu"][0]})
        if "ours" in engines and args.shape == "float64":
            dedup = run_isolated(bench_dedup, str(data), server.port, args.entities)
            print(f"never-overwrite-newer strategies, {dedup['rows']:,} keys (wall s, Redis CPU s):")
            for name, (wall, cpu) in dedup["dedup"].items():
                print(f"  {name:>30}: {wall:.2f} s wall, {cpu:.2f} s Redis CPU")
            results.append({"engine": "dedup", "kind": "strategies", "dedup": dedup["dedup"]})
        identical = None
        if "ours" in engines and ({"stock", "stock-file"} & set(engines)):  # db 0: the last stock run
            keys_stock, keys_ours, differ = compare(server.port)
            identical = differ == 0 and keys_stock == keys_ours
            print(f"Redis contents: stock {keys_stock:,} keys, ours {keys_ours:,} keys, {differ:,} hashes differ")

    by = {(r["engine"], r["kind"]): r for r in results}
    for row in results:
        for base in ("stock", "stock-file"):
            ref = by.get((base, row["kind"].split(" ")[0]))
            if ref and row["engine"].startswith("ours") and row["kind"] in ("api", "cli"):
                row[f"x_{base}"] = ref["seconds"] / row["seconds"]
                row[f"rss_{base}"] = row["peak_rss_mb"] / ref["peak_rss_mb"]
    print()
    print_table(results, [("engine", "engine"), ("kind", "run"), ("seconds", "seconds"), ("runs", "runs"),
                          ("redis_cpu", "Redis CPU s"),
                          ("peak_rss_mb", "peak RSS MB"), ("load", "load"),
                          ("x_stock", "speed-up vs stock"), ("rss_stock", "RSS / stock"),
                          ("x_stock-file", "speed-up vs stock-file"), ("rss_stock-file", "RSS / stock-file")])
    path = write_results("materialize", {"rows": args.rows, "entities": args.entities, "shape": args.shape,
                                         "results": results, "identical": identical})
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
