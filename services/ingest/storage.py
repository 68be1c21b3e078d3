"""Adapters that put rows on disk: the offline Parquet dataset per source, and quarantine.

Each writer takes a ``place(target, write)``: by default an atomic write straight into place;
the pipeline passes ``BatchFiles.stage`` so that nothing is visible before the receipt.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from featureguard.contracts.model import CONTRACT_VERSION, INGESTED_AT, Contract
from featureguard.atomic import write_atomically
from featureguard.settings import offline_source_path, quarantine_path, staging_path

PART_PREFIX = "part-"
_BATCH_PART = re.compile(r"^part-([0-9a-f]{24})\.parquet$")

#: ``place(target, write)`` writes a file via ``write(tmp)`` and returns where it ends up.
Place = Callable[[Path, Callable[[Path], object]], Path]


def in_place(target: Path, write: Callable[[Path], object]) -> Path:
    return write_atomically(target, staging_path(), write)


def offline_part_path(source: str, batch_id: str) -> Path:
    return Path(offline_source_path(source)) / f"{PART_PREFIX}{batch_id}.parquet"


def stored_frame(contract: Contract, accepted: pd.DataFrame, ingested_at: pd.Timestamp) -> pd.DataFrame:
    """Accepted rows in contract column order plus lineage: when, and under which contract."""
    frame = accepted[contract.columns].reset_index(drop=True)
    frame[INGESTED_AT] = pd.Series(ingested_at, index=frame.index, dtype="datetime64[ns, UTC]")
    frame[CONTRACT_VERSION] = contract.version
    return frame


def write_offline(contract: Contract, batch_id: str, frame: pd.DataFrame, place: Place = in_place) -> Path:
    """Writes one Parquet file for the batch; the dataset is the directory of such files."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return place(offline_part_path(contract.name, batch_id), lambda tmp: pq.write_table(table, tmp))


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


def write_quarantine_rows(source: str, batch_id: str, rows: pd.DataFrame, place: Place = in_place) -> Path:
    table = _arrow_safe(rows)
    return place(quarantine_path(source) / f"{batch_id}.parquet", lambda tmp: pq.write_table(table, tmp))


def write_quarantine_raw(source: str, batch_id: str, data: bytes, suffix: str, place: Place = in_place) -> Path:
    """A rejected batch is kept byte for byte, so nothing the producer sent is lost."""
    return place(quarantine_path(source) / f"{batch_id}.rejected{suffix}", lambda tmp: tmp.write_bytes(data))


def parts_without_receipt(source: str, receipt_ids: set[str]) -> list[Path]:
    """Batch parts with no receipt: what a crash of a release before receipt-first commits left."""
    root = Path(offline_source_path(source))
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        match = _BATCH_PART.match(path.name)
        if match and match.group(1) not in receipt_ids:
            found.append(path)
    return found


def read_offline(source: str) -> pd.DataFrame:
    """All stored rows of a source (for checks and tests; engines read the files directly)."""
    root = Path(offline_source_path(source))
    parts = sorted(root.glob(f"{PART_PREFIX}*.parquet")) if root.exists() else []
    if not parts:
        return pd.DataFrame()
    return pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)


def remove_source_data(source: str) -> None:
    shutil.rmtree(offline_source_path(source), ignore_errors=True)
