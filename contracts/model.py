"""The Contract type: a pandera schema plus the facts a feature store needs about a source."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

import pandas as pd
import pandera.pandas as pa

Compatibility = Literal["BACKWARD", "FORWARD", "FULL", "NONE"]

UTC_TIMESTAMP = pd.DatetimeTZDtype("ns", "UTC")

#: Columns the ingestion layer appends to every stored row; producers never send them.
INGESTED_AT = "ingested_at"
CONTRACT_VERSION = "contract_version"
LINEAGE_COLUMNS = (INGESTED_AT, CONTRACT_VERSION)


@dataclass(frozen=True)
class Contract:
    """A source's promise: identity, keys, time semantics and the pandera schema checking rows.

    ``feature_ttl`` is how long a value stays valid for point-in-time joins and online reads
    (``None`` means forever); ``max_age`` is the freshness SLA of the newest event.

    ``null_markers`` are text values this source uses for "missing" (e.g. ``("NA",)`` for an R
    export). Nothing else is guessed: by default only an empty CSV field (and JSON ``null``, a
    Parquet/Arrow null) is null, so a carrier code ``NA`` or a model named ``None`` is kept.
    Markers apply to whole text values in every format alike (CSV fields, JSON strings, Parquet
    and Arrow strings), so the format never changes what a batch means.
    """

    name: str
    version: str
    owner: str
    description: str
    entity_columns: tuple[str, ...]
    timestamp_column: str
    schema: pa.DataFrameSchema
    feature_ttl: timedelta | None = None
    max_age: timedelta | None = None
    compatibility: Compatibility = "BACKWARD"
    created_timestamp_column: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    null_markers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.null_markers, str) or not all(isinstance(m, str) and m for m in self.null_markers):
            raise ValueError(f"contract {self.name!r}: null_markers must be a tuple of non-empty strings, "
                             f"got {self.null_markers!r}")
        object.__setattr__(self, "null_markers", tuple(self.null_markers))
        columns = set(self.schema.columns)
        missing = [c for c in (*self.entity_columns, self.timestamp_column) if c not in columns]
        if missing:
            raise ValueError(f"contract {self.name!r}: key/timestamp columns {missing} not in schema")
        ts_dtype = str(self.schema.columns[self.timestamp_column].dtype)
        if ts_dtype != str(UTC_TIMESTAMP):
            raise ValueError(
                f"contract {self.name!r}: timestamp column {self.timestamp_column!r} must be "
                f"{UTC_TIMESTAMP}, is {ts_dtype}"
            )

    @property
    def columns(self) -> list[str]:
        return list(self.schema.columns)

    @property
    def timestamp_columns(self) -> list[str]:
        """Every column declared as a UTC timestamp (event time and any timestamp feature)."""
        return [n for n, c in self.schema.columns.items() if str(c.dtype) == str(UTC_TIMESTAMP)]

    @property
    def feature_columns(self) -> list[str]:
        """Columns served as features: everything but keys and time columns of the event."""
        skip = {*self.entity_columns, self.timestamp_column, self.created_timestamp_column}
        return [c for c in self.schema.columns if c not in skip]

    @property
    def major_version(self) -> int:
        return int(self.version.split(".")[0])


def utc_timestamp_column(**kwargs: object) -> pa.Column:
    """A non-null, timezone-aware UTC timestamp column."""
    return pa.Column(UTC_TIMESTAMP, nullable=False, **kwargs)  # type: ignore[arg-type]


def finite() -> pa.Check:
    """Rejects +/-inf, which pandera's range checks would otherwise let through unbounded columns."""
    import featureguard.contracts.checks  # noqa: F401  (registers pa.Check.finite)

    return pa.Check.finite()
