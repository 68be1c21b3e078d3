"""Shared benchmark plumbing: isolated child runs with peak RSS, timing, tables, result files.

Each measured engine runs in its own freshly spawned interpreter, so one engine's peak memory
never includes another's (or the parent's data). The child reports its resident-set high-water
mark (``VmHWM``) plus whatever the benchmark function returns.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

RESULTS_DIR = Path(__file__).resolve().parent / ".results"


def rss_mb() -> float:
    """Current resident set size of this process, in MiB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """High-water mark of this process's resident set, in MiB.

    Read from ``VmHWM``, which belongs to the address space and so starts afresh in a spawned
    child; ``ru_maxrss`` would carry over the parent's peak from before the exec.
    """
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(conn, fn: Callable[..., dict], args: tuple, kwargs: dict) -> None:
    try:
        result = dict(fn(*args, **kwargs) or {})
        result["peak_rss_mb"] = peak_rss_mb()
        conn.send(("ok", result))
    except BaseException:  # report anything, including MemoryError, to the parent
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def run_isolated(fn: Callable[..., dict], *args: Any, timeout: float | None = None, **kwargs: Any) -> dict:
    """``fn(*args, **kwargs)`` in a fresh interpreter; its dict plus ``peak_rss_mb``.

    ``fn`` must be importable by module path (a top-level function). Raises RuntimeError with
    the child's traceback if it failed or died.
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(child, fn, args, kwargs))
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            process.kill()
            raise RuntimeError(f"{fn.__name__} timed out after {timeout} s")
        status, payload = parent.recv()
    except EOFError:
        raise RuntimeError(f"{fn.__name__} died (exit code {process.exitcode})") from None
    finally:
        process.join()
    if status != "ok":
        raise RuntimeError(f"{fn.__name__} failed in its child process:\n{payload}")
    return payload


def timed_runs(call: Callable[[], Any], repeats: int, budget_s: float) -> list[float]:
    """Wall times of up to ``repeats`` calls; stops early once ``budget_s`` is spent (>= 1 run)."""
    times: list[float] = []
    spent = 0.0
    while len(times) < repeats and (not times or spent < budget_s):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
        spent += times[-1]
        del result
    return times


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict:
    import importlib.metadata as md

    versions = {}
    for package in ("feast", "duckdb", "pyarrow", "pandas"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    return {"cpus": os.cpu_count(), "python": platform.python_version(), **versions}


def print_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """Rows as an aligned text table; ``columns`` are (key, header) pairs."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
        return "" if value is None else str(value)

    text = [[cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max([len(header), *(len(r[i]) for r in text)]) for i, (_, header) in enumerate(columns)]
    print("  ".join(h.rjust(w) for (_, h), w in zip(columns, widths)))
    for r in text:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    sys.stdout.flush()


def write_results(name: str, payload: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2, default=str))
    return path
