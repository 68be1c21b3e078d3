"""The newest event time of a source's offline Parquet dataset, asked of DuckDB (metadata-cheap)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path


def newest_offline(source_dir: Path, timestamp_column: str) -> tuple[datetime | None, int]:
    """(newest event time, row count) over ``source_dir/*.parquet``; (None, 0) when there is none."""
    import duckdb

    files = sorted(Path(source_dir).glob("*.parquet"))
    if not files:
        return None, 0
    column = '"' + timestamp_column.replace('"', '""') + '"'
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        newest, rows = con.execute(
            f"SELECT max({column}), count(*) FROM read_parquet(?, union_by_name = true)",
            [[str(f) for f in files]]).fetchone()
    if newest is not None and newest.tzinfo is None:
        newest = newest.replace(tzinfo=timezone.utc)
    return newest, int(rows)
