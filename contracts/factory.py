"""``contract(...)``: a Contract from its columns, with the schema settings every contract shares.

A contract's pandera schema always rejects duplicate rows of one key at one time (``unique`` =
entity columns + timestamp, every duplicate reported), refuses unknown columns (``strict``),
parses text into the declared dtypes (``coerce``) and is named after its source. Deriving those
here means a contract module states only what is particular to its source, and cannot get the
row identity out of step with the keys it declares.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Iterable, Mapping, Sequence

import pandera.pandas as pa

from featureguard.contracts.model import Compatibility, Contract


def contract(
    name: str,
    version: str,
    *,
    owner: str,
    description: str,
    entity_columns: Sequence[str],
    timestamp_column: str,
    columns: Mapping[str, pa.Column],
    checks: Iterable[pa.Check] | None = None,
    unique: Sequence[str] | None = None,
    feature_ttl: timedelta | None = None,
    max_age: timedelta | None = None,
    compatibility: Compatibility = "BACKWARD",
    created_timestamp_column: str | None = None,
    tags: Mapping[str, str] | None = None,
    null_markers: Sequence[str] = (),
) -> Contract:
    """The contract of source ``name``: ``columns`` in order, frame-level ``checks``, one row per
    (entity columns, timestamp) unless ``unique`` names another row identity."""
    keys = tuple(entity_columns)
    schema = pa.DataFrameSchema(
        dict(columns),
        checks=list(checks) if checks is not None else None,
        unique=list(unique) if unique is not None else [*keys, timestamp_column],
        report_duplicates="all",
        strict=True,
        coerce=True,
        name=name,
    )
    return Contract(
        name=name, version=version, owner=owner, description=description, entity_columns=keys,
        timestamp_column=timestamp_column, schema=schema, feature_ttl=feature_ttl, max_age=max_age,
        compatibility=compatibility, created_timestamp_column=created_timestamp_column, tags=dict(tags or {}),
        null_markers=null_markers,
    )
