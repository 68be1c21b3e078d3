"""A contract for the synthetic ``pairs`` view (registered by the contract tests only)."""

import pandera.pandas as pa

from featureguard.contracts.model import Contract, utc_timestamp_column

CONTRACT = Contract(
    name="mat_pairs",
    version="1.0.0",
    owner="tests@featureguard.example",
    description="Synthetic pairs for materialization tests.",
    entity_columns=("zone", "counter_id"),
    timestamp_column="ts",
    schema=pa.DataFrameSchema(
        {
            "zone": pa.Column(str, pa.Check.isin(["n", "s", "é"]), nullable=False),
            "counter_id": pa.Column("int64", pa.Check.le(2**40), nullable=False),
            "ts": utc_timestamp_column(),
            "score": pa.Column(float, pa.Check.in_range(-1.0, 2.5), nullable=True),
            "label": pa.Column(str, nullable=True),
        },
        strict=True,
        coerce=True,
        name="mat_pairs",
    ),
)
