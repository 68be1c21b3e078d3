"""`featureguard serve --repo DIR` serves any project, not only the example: a made-up `shops`
source with a compound key (region string + store_id int64, the same store id in two regions)
and one feature of each type (string, bool, int64, float, timestamp), zero Python (its default
view), every value and type compared with what was ingested, as the API renders it."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from tests.projects.conftest import columns, fg, init_project, ok, ok_json, post_json, serving

pytestmark = pytest.mark.slow

CONTRACT = '''\
"""Shops: their state per hour, keyed by region and store id (store ids repeat across regions)."""

import pandera.pandas as pa

from featureguard.contracts.model import UTC_TIMESTAMP, Contract, utc_timestamp_column

SCHEMA = pa.DataFrameSchema(
    {
        "region": pa.Column(str, nullable=False),
        "store_id": pa.Column("int64", pa.Check.ge(0), nullable=False),
        "event_time": utc_timestamp_column(),
        "manager": pa.Column(str, nullable=True),
        "is_open": pa.Column(bool, nullable=False),
        "staff": pa.Column("int64", pa.Check.ge(0), nullable=False),
        "revenue": pa.Column(float, nullable=True),
        "last_delivery": pa.Column(UTC_TIMESTAMP, nullable=True),
    },
    unique=["region", "store_id", "event_time"],
    strict=True,
    coerce=True,
    name="shops",
)

CONTRACT = Contract(
    name="shops",
    version="1.0.0",
    owner="retail@example.com",
    description="Hourly shop state.",
    entity_columns=("region", "store_id"),
    timestamp_column="event_time",
    schema=SCHEMA,
)
'''

FEATURES = ["manager", "is_open", "staff", "revenue", "last_delivery"]


#: (region, store_id, event time, manager, is_open, staff, revenue, last delivery)
ROWS = [
    ("north", 1, "2024-06-01T08:00:00Z", "Ana", False, 2, 0.0, "2024-05-31T17:00:00Z"),
    ("north", 1, "2024-06-01T09:00:00Z", "Ana", True, 5, 1250.75, "2024-06-01T06:30:00Z"),
    ("south", 1, "2024-06-01T09:30:00Z", "Bo", True, 3, 980.5, "2024-06-01T07:15:45Z"),
    ("north", 2, "2024-06-01T07:00:00Z", None, False, 0, None, None),
]
#: the newest row of each (region, store_id), and one entity that has none
ASKED = [("north", 1), ("south", 1), ("north", 2), ("east", 1)]


def frame() -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=["region", "store_id", "event_time", *FEATURES])
    df["event_time"] = pd.to_datetime(df["event_time"], utc=True)
    df["last_delivery"] = pd.to_datetime(df["last_delivery"], utc=True)
    return df.astype({"store_id": "int64", "staff": "int64", "is_open": "bool", "revenue": "float64"})


def newest(region: str, store_id: int) -> tuple | None:
    mine = [r for r in ROWS if r[:2] == (region, store_id)]
    return max(mine, key=lambda r: r[2]) if mine else None


#: Feast stores a null timestamp as this sentinel; `feast serve` renders it as is (status NULL_VALUE)
NULL_TIMESTAMP = -(2**63)


def rendered(value, feature: str):
    """A stored value as /v1/online-features renders it: Feast's JSON (timestamps as epoch seconds)."""
    if value is None:
        return NULL_TIMESTAMP if feature == "last_delivery" else None
    if feature == "last_delivery":
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp())
    return value


def test_serve_any_project(tmp_path: Path, redis_server) -> None:
    url = redis_server.url
    root = init_project(tmp_path, "shops_team")
    for starter in ("contracts/readings.py", "definitions.py"):
        (root / starter).unlink()
    shutil.rmtree(root / "data")
    (root / "contracts" / "shops.py").write_text(CONTRACT)
    batch = tmp_path / "shops.parquet"
    frame().to_parquet(batch, index=False)

    receipt = ok_json(fg("ingest", "shops", str(batch), "--json", cwd=root))
    assert (receipt["status"], receipt["accepted"]) == ("accepted", len(ROWS))
    applied = ok_json(fg("apply", "--json", cwd=root, redis_url=url))
    assert applied["default_views_for"] == ["shops"]
    assert {"entity/region", "entity/store_id", "feature_view/shops"} <= set(applied["added"])
    assert not [key for key in applied["added"] if "readings" in key or "sensor" in key]  # the starter is gone
    ok(fg("materialize", "--start", "2024-06-01T00:00:00Z", "--end", "2024-06-02T00:00:00Z",
          cwd=root, redis_url=url))

    entities = {"region": [r for r, _ in ASKED], "store_id": [s for _, s in ASKED]}
    with serving(root, url) as base:
        status, answer = post_json(base + "/v1/online-features",
                                   {"features": [f"shops:{f}" for f in FEATURES], "entities": entities})
    assert status == 200, answer
    got = columns(answer)
    assert list(got) == ["region", "store_id", *FEATURES]
    assert got["region"]["values"] == entities["region"] and got["store_id"]["values"] == entities["store_id"]
    for i, feature in enumerate(FEATURES):
        column = got[feature]
        rows = [newest(*key) for key in ASKED]
        want = [rendered(row[3 + i], feature) if row else None for row in rows]
        assert column["values"] == want, feature
        # types as well as values: a bool is not 1, an int64 not 5.0, a float not a string
        for value, expected in zip(column["values"], want):
            assert type(value) is type(expected), (feature, value, expected)
        assert column["statuses"] == [("PRESENT" if row[3 + i] is not None else "NULL_VALUE") if row else "NOT_FOUND"
                                      for row in rows], feature
        assert column["event_timestamps"][:3] == [row[2] for row in rows[:3]], feature
