"""Reports on disk, next to the receipts: ``<receipts>/<batch_id>.report.json`` (and ``.report.html``).

The JSON is written by every ingest just before its receipt (so a crash leaves, at worst, a report
the re-run overwrites); the HTML is rendered from it on demand and kept beside it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from featureguard.errors import BadInputError
from featureguard.atomic import write_bytes_atomically
from featureguard.settings import receipts_path, staging_path

SUFFIX = {"json": ".report.json", "html": ".report.html"}
#: A batch id, or a prefix of one: lowercase hex (ids are SHA-256 prefixes). Nothing else ever
#: becomes part of a path, so no argument or report content can point outside the receipts folder.
BATCH_ID = re.compile(r"[0-9a-f]{1,64}")
_HEX = re.compile(r"[0-9a-fA-F]{1,64}")


class ReportNotFound(LookupError):
    pass


class InvalidBatchId(BadInputError):
    """An argument that is not a batch id (or a hex prefix of one)."""


def checked_batch_id(batch_id: str) -> str:
    """``batch_id`` in lowercase when it is hex (a batch id or a prefix of one); InvalidBatchId otherwise."""
    if not isinstance(batch_id, str) or not _HEX.fullmatch(batch_id):
        raise InvalidBatchId(f"{batch_id!r} is not a batch id: give the hex batch id of a receipt, "
                             "or a unique prefix of it")
    return batch_id.lower()


def report_path(batch_id: str, fmt: str = "json") -> Path:
    return receipts_path() / f"{checked_batch_id(batch_id)}{SUFFIX[fmt]}"


def dumps(report: dict[str, Any]) -> bytes:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str)


def write_report(report: dict[str, Any]) -> Path:
    return write_bytes_atomically(report_path(report["batch_id"]), staging_path(), dumps(report))


def find_report(batch_id: str) -> tuple[str, Path]:
    """(batch id, JSON report) of a batch id, or of the only batch id starting with the given hex
    prefix; the id returned is the report file's own, checked, never the report's content."""
    batch_id = checked_batch_id(batch_id)
    exact = report_path(batch_id)
    if exact.is_file():
        return batch_id, exact
    root = receipts_path()
    found = sorted(found_id for found_id in _report_ids(root) if found_id.startswith(batch_id))
    if len(found) == 1:
        return found[0], report_path(found[0])
    if len(found) > 1:
        raise ReportNotFound(f"batch id prefix {batch_id!r} is ambiguous: " + ", ".join(found[:10]))
    raise ReportNotFound(f"no report for batch {batch_id!r} under {root}")


def _report_ids(root: Path) -> list[str]:
    """Batch ids of the JSON reports directly in ``root`` (other files are ignored)."""
    suffix = SUFFIX["json"]
    if not root.is_dir():
        return []
    names = (p.name[: -len(suffix)] for p in root.iterdir() if p.name.endswith(suffix))
    return [name for name in names if BATCH_ID.fullmatch(name)]


def load_report(path: Path) -> dict[str, Any]:
    return orjson.loads(Path(path).read_bytes())


def write_html(report: dict[str, Any], path: Path | None = None, batch_id: str | None = None) -> Path:
    """The page at ``path``, or beside the receipts as ``<batch_id>.report.html``: ``batch_id``
    is the id the report was found under (the report's own ``batch_id`` only when none is given,
    and checked either way)."""
    from featureguard.reports.html import render_html

    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(report))
        return path
    target = report_path(batch_id if batch_id is not None else report["batch_id"], "html")
    return write_bytes_atomically(target, staging_path(), render_html(report).encode())
