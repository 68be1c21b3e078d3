"""A new team's first hour, typed as they would type it: `featureguard init`, a contract inferred
from their own CSV, ingest, apply (the zero-Python path gives the source a view), materialize,
an online read, a training frame from `featureguard.open_store`, the HTTP service, and apply
refusing a breaking contract change. Plus what they meet when they get something wrong."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.projects.conftest import clean_env, columns, fg, init_project, ok, ok_json, post_json, serving

pytestmark = pytest.mark.slow

TRIPS_CSV = """\
driver_id,event_time,trips_today,avg_rating,vehicle
1,2024-05-01T10:00:00Z,3,4.5,sedan
1,2024-05-01T12:00:00Z,5,4.6,sedan
2,2024-05-01T10:30:00Z,1,3.9,van
2,2024-05-01T13:00:00Z,2,4.1,van
3,2024-05-01T11:00:00Z,7,4.9,suv
"""
FEATURES = ["trips:trips_today", "trips:avg_rating", "trips:vehicle"]
#: driver -> its newest row: (trips_today, avg_rating, vehicle, event time as the API renders it)
LATEST = {1: (5, 4.6, "sedan", "2024-05-01T12:00:00Z"), 2: (2, 4.1, "van", "2024-05-01T13:00:00Z"),
          3: (7, 4.9, "suv", "2024-05-01T11:00:00Z")}
WINDOW = ("--start", "2024-05-01T00:00:00Z", "--end", "2024-05-02T00:00:00Z")


def trips_project(parent: Path, name: str) -> Path:
    """`featureguard init NAME`, then a `trips` contract inferred from trips.csv (written beside
    the project) into NAME/contracts/trips.yaml, as a user starts a source of their own."""
    root = init_project(parent, name)
    (parent / "trips.csv").write_text(TRIPS_CSV)
    inferred = ok(fg("contracts", "infer", "trips.csv", "--source", "trips", "--key", "driver_id",
                     "--timestamp", "event_time", "--output", f"{name}/contracts/trips.yaml", cwd=parent))
    assert "proposal: in_range" in inferred.stderr  # the report says what it guessed
    assert (root / "contracts" / "trips.yaml").is_file()
    return root


def _plain(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def test_new_user_end_to_end(tmp_path: Path, redis_server, in_process) -> None:
    url = redis_server.url
    root = trips_project(tmp_path, "rides_e2e")
    listed = ok_json(fg("contracts", "list", "--json", cwd=root))
    assert {r["source"]: r["entity_columns"] for r in listed} == {"readings": ["sensor_id"], "trips": ["driver_id"]}

    receipt = ok_json(fg("ingest", "trips", "../trips.csv", "--json", cwd=root))
    assert (receipt["status"], receipt["received"], receipt["accepted"]) == ("accepted", 5, 5)
    assert len(list((root / ".featureguard" / "offline" / "trips").glob("*.parquet"))) == 1

    applied = ok_json(fg("apply", "--json", cwd=root, redis_url=url))
    assert applied["default_views_for"] == ["trips"]  # no Python written for trips
    assert {"entity/driver_id", "feature_view/trips", "feature_view/readings",
            "feature_service/sensor_health"} <= set(applied["added"])
    assert applied["published"] == ["readings@1.0.0", "trips@0.1.0"]

    materialized = ok(fg("materialize", *WINDOW, cwd=root, redis_url=url))
    assert "trips: 3 entities, 3 written" in materialized.stdout + materialized.stderr

    # online, through the default view's features (a default view has no feature service)
    read = ok_json(fg("online", "-e", "driver_id=2", "--features", ",".join(FEATURES), "--json",
                      cwd=root, redis_url=url))
    assert read == {"driver_id": 2, "trips_today": 2, "avg_rating": 4.1, "vehicle": "van"}

    # a training frame: one row per entity row, each the CSV's values as of that row's time
    import featureguard

    store = featureguard.open_store(repo=root)
    assert store.project == "rides_e2e" and store.featureguard_online.kind == "redis"
    times = ["2024-05-01T09:00:00Z", "2024-05-01T11:00:00Z", "2024-05-01T12:00:00Z", "2024-05-02T00:00:00Z",
             "2024-05-01T11:00:00Z", "2024-05-01T12:00:00Z"]
    entity_rows = pd.DataFrame({"driver_id": [1, 1, 1, 2, 3, 4], "event_timestamp": pd.to_datetime(times, utc=True),
                                "row": range(6)})
    frame = store.get_historical_features(entity_df=entity_rows, features=FEATURES).to_df()
    assert len(frame) == len(entity_rows)
    frame = frame.sort_values("row").reset_index(drop=True)
    csv = pd.read_csv(tmp_path / "trips.csv")
    csv["event_time"] = pd.to_datetime(csv["event_time"], utc=True)
    expected = pd.merge_asof(entity_rows.sort_values("event_timestamp"), csv.sort_values("event_time"),
                             left_on="event_timestamp", right_on="event_time", by="driver_id")
    expected = expected.sort_values("row").reset_index(drop=True)
    wanted = ["trips_today", "avg_rating", "vehicle"]
    got = [[_plain(v) for v in row] for row in frame[wanted].itertuples(index=False)]
    assert got == [[_plain(v) for v in row] for row in expected[wanted].itertuples(index=False)]
    assert got[0] == [None, None, None] and got[2] == [5, 4.6, "sedan"] and got[5] == [None, None, None]

    # the HTTP service on the same project, started from outside it with --repo
    with serving(root, url) as base:
        status, answer = post_json(base + "/v1/online-features",
                                   {"features": FEATURES, "entities": {"driver_id": [1, 2, 3, 99]}})
    assert status == 200, answer
    by_name = columns(answer)
    assert list(by_name) == ["driver_id", "trips_today", "avg_rating", "vehicle"]
    for i, name in enumerate(["trips_today", "avg_rating", "vehicle"]):
        assert by_name[name]["values"] == [LATEST[d][i] for d in (1, 2, 3)] + [None]
        assert by_name[name]["statuses"] == ["PRESENT"] * 3 + ["NOT_FOUND"]
        assert by_name[name]["event_timestamps"][:3] == [LATEST[d][3] for d in (1, 2, 3)]


def test_breaking_contract_changes_are_refused(tmp_path: Path, redis_server) -> None:
    url = redis_server.url
    root = trips_project(tmp_path, "rides_bump")
    ok(fg("apply", cwd=root, redis_url=url))
    contract = root / "contracts" / "trips.yaml"
    lock = root / "contracts" / "versions.lock.json"
    original, recorded = contract.read_text(), lock.read_text()
    narrowed = original.replace("min_value: 3.9", "min_value: 4.0")
    retyped = original.replace("  trips_today:\n    dtype: int64", "  trips_today:\n    dtype: float64")
    assert original != narrowed and original != retyped

    contract.write_text(narrowed.replace("version: 0.1.0", "version: 0.2.0"))  # a minor bump
    refused = fg("apply", cwd=root, redis_url=url)
    assert refused.returncode == 1, refused.stderr
    assert "refused trips (lock)" in refused.stderr and "breaks BACKWARD compatibility" in refused.stderr
    assert "avg_rating: value range narrowed" in refused.stderr and "'[3.9, 4.9]' -> '[4.0, 4.9]'" in refused.stderr
    checked = fg("contracts", "check", "--no-feast", "--json", cwd=root)  # the lock's verdict
    assert checked.returncode == 1
    failed = [f for f in json.loads(checked.stdout)["findings"] if not f["ok"]]
    assert any(f["source"] == "trips" and f["area"] == "lock" and "avg_rating" in f["message"] for f in failed)
    assert lock.read_text() == recorded  # a refused apply publishes nothing

    contract.write_text(retyped)  # a type change, no version bump at all
    refused = fg("apply", cwd=root, redis_url=url)
    assert refused.returncode == 1, refused.stderr
    assert "refused trips (lock)" in refused.stderr and "changed since it was recorded" in refused.stderr
    assert "trips_today: type changed" in refused.stderr and "'int64' -> 'float64'" in refused.stderr
    checked = fg("contracts", "check", "--no-feast", "--json", cwd=root)  # the lock's verdict
    assert checked.returncode == 1
    failed = [f for f in json.loads(checked.stdout)["findings"] if not f["ok"]]
    assert any(f["source"] == "trips" and f["area"] == "lock" and "trips_today" in f["message"] for f in failed)
    assert lock.read_text() == recorded

    both = retyped.replace("min_value: 3.9", "min_value: 4.0").replace("version: 0.1.0", "version: 1.0.0")
    contract.write_text(both)  # the same breaking changes under a major bump
    applied = ok_json(fg("apply", "--json", cwd=root, redis_url=url))
    assert applied["published"] == ["trips@1.0.0"] and applied["changed"] == ["feature_view/trips"]
    assert sorted(json.loads(lock.read_text())["sources"]["trips"]) == ["0.1.0", "1.0.0"]

    contract.unlink()  # the source is retired: apply removes all it registered for it, as `feast apply` would
    applied = ok_json(fg("apply", "--json", cwd=root, redis_url=url))
    assert applied["removed"] == ["data_source/trips_source", "entity/driver_id", "feature_view/trips"]


MISMATCHED_VIEW = '''

from feast import FeatureView, Field
from feast.types import Float64, String

driver = featureguard.entity("trips", "driver_id")
trips_ok = featureguard.feature_view("trips", name="trips_ok", entities=[driver], features=["vehicle", "avg_rating"])
trips_by_hand = FeatureView(
    name="trips_by_hand",
    entities=[driver],
    schema=[Field(name="trips_today", dtype=String), Field(name="avg_rating", dtype=Float64),
            Field(name="vehicle", dtype=String)],
    source=trips_ok.batch_source,
    ttl=trips_ok.ttl,
    tags=dict(trips_ok.tags),  # contract: trips, and its version
)
'''


def test_a_view_that_disagrees_with_its_contract_is_refused(tmp_path: Path, redis_server) -> None:
    root = trips_project(tmp_path, "rides_mismatch")
    definitions = root / "definitions.py"
    definitions.write_text(definitions.read_text() + MISMATCHED_VIEW)
    refused = fg("apply", cwd=root, redis_url=redis_server.url)
    assert refused.returncode == 1, refused.stderr
    line = next(x for x in refused.stderr.splitlines() if "trips_by_hand" in x)
    assert line.startswith("refused trips (feast): view trips_by_hand:")
    assert "trips_today is String, contract says Int64" in line
    assert "trips_ok" not in refused.stderr  # the helper's view of some of the features passes
    assert not (root / "contracts" / "versions.lock.json").exists()  # nothing published
    assert not (root / ".featureguard" / "registry.db").exists()  # nothing registered
    checked = fg("contracts", "check", cwd=root)
    assert checked.returncode == 1 and "trips_today is String, contract says Int64" in checked.stdout
    # materialize (which registers the project's objects first) refuses the view too
    materialized = fg("materialize", *WINDOW, cwd=root, redis_url=redis_server.url)
    assert materialized.returncode == 1, materialized.stdout + materialized.stderr
    assert "view trips_by_hand: trips_today is String, contract says Int64" in materialized.stderr
    assert not (root / ".featureguard" / "registry.db").exists()



def test_online_misreads_are_bad_input(tmp_path: Path, redis_server) -> None:
    """A misspelt feature or a key the features do not use exits 2 in one line, never 70."""
    root = trips_project(tmp_path, "rides_misread")
    ok(fg("apply", cwd=root, redis_url=redis_server.url))
    for args, says in ((("--features", "trips:trips_todya"), "view 'trips' has no feature 'trips_todya'"),
                       ((), "'sensor_health' needs join key 'sensor_id'; got ['driver_id']")):  # the only service
        out = fg("online", "-e", "driver_id=1", *args, cwd=root, redis_url=redis_server.url)
        assert out.returncode == 2 and out.stderr.strip() == f"error: {says}", out.stderr

NEEDS_A_PROJECT = [
    ("validate", "trips", "trips.csv"),
    ("ingest", "trips", "trips.csv"),
    ("apply",),
    ("materialize", "--incremental"),
    ("online", "-e", "driver_id=1"),
    ("serve",),
    ("contracts", "list"),
    ("contracts", "check"),
]


def test_outside_a_project_commands_name_featureguard_init(tmp_path: Path) -> None:
    (tmp_path / "trips.csv").write_text(TRIPS_CSV)
    for args in NEEDS_A_PROJECT:
        out = fg(*args, cwd=tmp_path)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1, (args, out.stderr)
        assert "is not a featureguard project" in out.stderr and "featureguard init" in out.stderr, (args, out.stderr)
        assert str(tmp_path) in out.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (fg("apply", "--repo", str(empty), cwd=tmp_path), fg("--repo", str(empty), "apply", cwd=tmp_path),
                fg("contracts", "list", cwd=tmp_path, repo=empty)):
        assert out.returncode == 2 and f"{empty} is not a featureguard project" in out.stderr, out.stderr
        assert "featureguard init" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    # ... and what works without one still does
    ok(fg("contracts", "infer", "trips.csv", "--source", "trips", "--key", "driver_id", "--timestamp",
          "event_time", cwd=tmp_path))


def test_an_unknown_source_lists_the_projects_sources(tmp_path: Path) -> None:
    root = trips_project(tmp_path, "rides_unknown")
    for args in (("validate", "trip", "../trips.csv"), ("ingest", "trip", "../trips.csv"), ("contracts", "show", "trip")):
        out = fg(*args, cwd=root)
        assert out.returncode == 2, (args, out.stderr)
        assert f"unknown source 'trip'; the project's sources in {root / 'contracts'}: readings, trips" in \
            " ".join(out.stderr.split()), (args, out.stderr)
    # --repo from anywhere finds the same sources
    out = fg("validate", "trip", "trips.csv", "--repo", str(root), cwd=tmp_path)
    assert out.returncode == 2 and "readings, trips" in out.stderr


def test_stock_feast_cli_reads_the_project(tmp_path: Path, redis_server) -> None:
    """feature_store.yaml keeps featureguard's settings in a `featureguard:` section: Feast's own
    CLI still loads the file (and the project's definitions) and sees what apply registered."""
    root = trips_project(tmp_path, "rides_feast")
    assert "\nfeatureguard:\n" in (root / "feature_store.yaml").read_text()
    ok(fg("apply", cwd=root, redis_url=redis_server.url))
    feast = [str(Path(sys.executable).parent / "feast"), "-c", str(root)]
    env = clean_env(FEATUREGUARD_REDIS=f"127.0.0.1:{redis_server.port}")

    def run(*args: str) -> subprocess.CompletedProcess:
        return ok(subprocess.run([*feast, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                                 timeout=120))

    dump = json.loads(run("registry-dump").stdout)
    assert dump["project"] == "rides_feast"
    assert {e["spec"]["name"] for e in dump["entities"]} >= {"sensor", "driver_id"}
    assert {v["spec"]["name"] for v in dump["featureViews"]} == {"readings", "trips"}
    assert [s["spec"]["name"] for s in dump["featureServices"]] == ["sensor_health"]
    run("plan")  # loads feature_store.yaml and imports definitions.py (and its contracts) as `feast apply` would
