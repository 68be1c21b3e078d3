"""Adapters that put rows on disk: the offline Parquet dataset per source, and quarantine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from contracts.model import CONTRACT_VERSION, INGESTED_AT, Contract
from services.ingest.atomic import write_atomically, write_bytes_atomically
from services.settings import offline_source_path, quarantine_path, staging_path

PART_PREFIX = "part-"


def offline_part_path(source: str, batch_id: str) -> Path:
    return Path(offline_source_path(source)) / f"{PART_PREFIX}{batch_id}.parquet"


def stored_frame(contract: Contract, accepted: pd.DataFrame, ingested_at: pd.Timestamp) -> pd.DataFrame:
    """Accepted rows in contract column order plus lineage: when, and under which contract."""
    frame = accepted[contract.columns].reset_index(drop=True)
    frame[INGESTED_AT] = pd.Series(ingested_at, index=frame.index, dtype="datetime64[ns, UTC]")
    frame[CONTRACT_VERSION] = contract.version
    return frame


def write_offline(contract: Contract, batch_id: str, frame: pd.DataFrame) -> Path:
    """Writes one Parquet file for the batch; the dataset is the directory of such files."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    target = offline_part_path(contract.name, batch_id)
    return write_atomically(target, staging_path(), lambda tmp: pq.write_table(table, tmp))


def _arrow_safe(frame: pd.DataFrame) -> pa.Table:
    """Quarantined rows may hold values of mixed types; those columns are kept as text."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        fixed = frame.copy()
        for column in fixed.columns:
            try:
                pa.array(fixed[column])
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                fixed[column] = fixed[column].map(lambda v: None if v is None else str(v))
        return pa.Table.from_pandas(fixed, preserve_index=False)


def write_quarantine_rows(source: str, batch_id: str, rows: pd.DataFrame) -> Path:
    table = _arrow_safe(rows)
    target = quarantine_path(source) / f"{batch_id}.parquet"
    return write_atomically(target, staging_path(), lambda tmp: pq.write_table(table, tmp))


def write_quarantine_raw(source: str, batch_id: str, data: bytes, suffix: str) -> Path:
    """A rejected batch is kept byte for byte, so nothing the producer sent is lost."""
    target = quarantine_path(source) / f"{batch_id}.rejected{suffix}"
    return write_bytes_atomically(target, staging_path(), data)


def read_offline(source: str) -> pd.DataFrame:
    """All stored rows of a source (for checks and tests; engines read the files directly)."""
    root = Path(offline_source_path(source))
    parts = sorted(root.glob(f"{PART_PREFIX}*.parquet")) if root.exists() else []
    if not parts:
        return pd.DataFrame()
    return pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)


def remove_source_data(source: str) -> None:
    shutil.rmtree(offline_source_path(source), ignore_errors=True)
