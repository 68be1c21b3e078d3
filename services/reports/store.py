"""Reports on disk, next to the receipts: ``<receipts>/<batch_id>.report.json`` (and ``.report.html``).

The JSON is written by every ingest just before its receipt (so a crash leaves, at worst, a report
the re-run overwrites); the HTML is rendered from it on demand and kept beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from services.ingest.atomic import write_bytes_atomically
from services.settings import receipts_path, staging_path

SUFFIX = {"json": ".report.json", "html": ".report.html"}


class ReportNotFound(LookupError):
    pass


def report_path(batch_id: str, fmt: str = "json") -> Path:
    return receipts_path() / f"{batch_id}{SUFFIX[fmt]}"


def dumps(report: dict[str, Any]) -> bytes:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str)


def write_report(report: dict[str, Any]) -> Path:
    return write_bytes_atomically(report_path(report["batch_id"]), staging_path(), dumps(report))


def find_report(batch_id: str) -> Path:
    """The JSON report of a batch id, or of the only batch id starting with the given prefix."""
    exact = report_path(batch_id)
    if exact.exists():
        return exact
    root = receipts_path()
    found = sorted(root.glob(f"{batch_id}*{SUFFIX['json']}")) if root.exists() and batch_id else []
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ReportNotFound(f"batch id prefix {batch_id!r} is ambiguous: "
                             + ", ".join(p.name[: -len(SUFFIX['json'])] for p in found[:10]))
    raise ReportNotFound(f"no report for batch {batch_id!r} under {root}")


def load_report(path: Path) -> dict[str, Any]:
    return orjson.loads(Path(path).read_bytes())


def write_html(report: dict[str, Any], path: Path | None = None) -> Path:
    from services.reports.html import render_html

    target = path or report_path(report["batch_id"], "html")
    if path is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_html(report))
        return target
    return write_bytes_atomically(target, staging_path(), render_html(report).encode())
