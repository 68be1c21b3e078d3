"""Two teams' projects on one machine and one redis-server: each has its own data home, registry
and Redis keys (Feast's ``project`` name ends every key), and neither ever sees the other's rows,
online or offline. Both use the starter's `readings` source with the same sensor ids, so any
leak would show as the other team's value; beta's contract keeps whole degrees (int64), so a
store that read the other project's contract would show that too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import redis

from tests.projects.conftest import fg, init_project, ok, ok_json

pytestmark = pytest.mark.slow

HEADER = "sensor_id,event_time,temperature,status\n"
#: sensor -> rows (event time, temperature, status); the newest per sensor is what online serves
ROWS = {
    "alpha_team": {1: [("2024-05-01T10:00:00Z", 20.5, "ok"), ("2024-05-01T11:00:00Z", 21.5, "ok")],
                   2: [("2024-05-01T10:30:00Z", 30.5, "degraded")]},  # not whole degrees: beta's contract refuses them
    "beta_team": {1: [("2024-05-01T10:15:00Z", 90, "fault")],
                  2: [("2024-05-01T10:45:00Z", 40, "ok")],
                  3: [("2024-05-01T11:00:00Z", 50, "ok")]},
}
WINDOW = ("--start", "2024-05-01T00:00:00Z", "--end", "2024-05-02T00:00:00Z")
SENSORS = [1, 2, 3]
FLOAT_TEMPERATURE = 'pa.Column(float, pa.Check.in_range(-50.0, 150.0), nullable=True)'
INT_TEMPERATURE = 'pa.Column("int64", pa.Check.in_range(-50, 150), nullable=False)'


def latest(name: str) -> dict[str, list]:
    """Per sensor of SENSORS: the newest temperature and status of project ``name`` (None: no rows)."""
    newest = {s: max(rows)[1:] for s, rows in ROWS[name].items()}
    return {"temperature": [newest[s][0] if s in newest else None for s in SENSORS],
            "status": [newest[s][1] if s in newest else None for s in SENSORS]}


def redis_key(project: str, sensor: int) -> bytes:
    """The key Feast's Redis online store gives a sensor's row: serialized entity key + project."""
    from feast.infra.online_stores.helpers import _redis_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value

    key = EntityKey(join_keys=["sensor_id"], entity_values=[Value(int64_val=sensor)])
    return _redis_key(project, key, entity_key_serialization_version=3)


@pytest.fixture()
def client(redis_server):
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    yield client
    client.close()


def test_two_projects_never_see_each_others_data(tmp_path: Path, redis_server, client, in_process) -> None:
    before = set(client.scan_iter(count=1000))
    roots: dict[str, Path] = {}
    for name, by_sensor in ROWS.items():
        root = roots[name] = init_project(tmp_path, name)
        if name == "beta_team":
            contract = root / "contracts" / "readings.py"
            assert FLOAT_TEMPERATURE in contract.read_text()
            contract.write_text(contract.read_text().replace(FLOAT_TEMPERATURE, INT_TEMPERATURE))
        batch = tmp_path / f"{name}.csv"
        batch.write_text(HEADER + "".join(f"{s},{t},{temp},{status}\n" for s, rows in by_sensor.items()
                                          for t, temp, status in rows))
        receipt = ok_json(fg("ingest", "readings", str(batch), "--json", cwd=root))
        assert receipt["status"] == "accepted"
        ok(fg("apply", cwd=root, redis_url=redis_server.url))
        ok(fg("materialize", *WINDOW, cwd=root, redis_url=redis_server.url))

    # separate files: data homes, registries, offline tables, receipts
    alpha, beta = (roots[n] / ".featureguard" for n in ROWS)
    for home in (alpha, beta):
        assert (home / "registry.db").is_file() and len(list((home / "receipts").rglob("*.json"))) >= 1
    for name, home in zip(ROWS, (alpha, beta)):
        stored = pd.read_parquet(home / "offline" / "readings")
        assert sorted(stored["temperature"]) == sorted(t for rows in ROWS[name].values() for _, t, _ in rows)
        assert str(stored["temperature"].dtype) == ("int64" if name == "beta_team" else "float64")

    # Redis: each project's keys are its entities' keys, each ending with its project name
    written = set(client.scan_iter(count=1000)) - before
    for name in ROWS:
        mine = {k for k in written if k.endswith(name.encode())}
        assert mine == {redis_key(name, s) for s in ROWS[name]}, name
    assert written == {redis_key(n, s) for n in ROWS for s in ROWS[n]}  # nothing else, nothing shared

    # reads in one process, one project after the other and back: each store sees only its own
    # values, through its own contracts, even when another project was opened after it
    import featureguard

    stores = {name: featureguard.open_store(repo=roots[name]) for name in ROWS}
    stores["alpha_again"] = featureguard.open_store(repo=roots["alpha_team"])
    entity_rows = pd.DataFrame({"sensor_id": SENSORS,
                                "event_timestamp": pd.Timestamp("2024-05-01T11:10:00Z")})  # within the 1 h TTL
    for label, store in stores.items():
        name = "alpha_team" if label == "alpha_again" else label
        assert store.project == name
        assert Path(store.config.registry.path) == roots[name] / ".featureguard" / "registry.db"
        online = featureguard.get_online_features(store, store.get_feature_service("sensor_health"),
                                                  [{"sensor_id": s} for s in SENSORS]).to_dict()
        assert {k: online[k] for k in ("temperature", "status")} == latest(name), label
        frame = store.get_historical_features(entity_df=entity_rows, features=["readings:temperature",
                                                                               "readings:status"]).to_df()
        frame = frame.sort_values("sensor_id")
        temps = [None if pd.isna(v) else v for v in frame["temperature"]]
        assert temps == latest(name)["temperature"], label

    # a store materializes through its own project's contract too: alpha's rows, from alpha's store
    # opened before beta's, are not judged by beta's whole-degree contract
    featureguard.open_store(repo=roots["beta_team"])
    alpha_keys = [redis_key("alpha_team", s) for s in ROWS["alpha_team"]]
    assert client.delete(*alpha_keys) == len(alpha_keys)
    stores["alpha_team"].materialize(start_date=pd.Timestamp(WINDOW[1]).to_pydatetime(),
                                     end_date=pd.Timestamp(WINDOW[3]).to_pydatetime())
    assert client.exists(*alpha_keys) == len(alpha_keys)


def test_every_init_names_its_own_feast_project(tmp_path: Path) -> None:
    """The Feast project name is the Redis key suffix: two projects made by `init` (the starter
    or the nycflights13 example, which would otherwise share the packaged example's name) never
    share one."""
    from featureguard.project import load_project

    ok(fg("init", "team_a", cwd=tmp_path))
    for folder in ("flights-a", "flights-b"):
        ok(fg("init", folder, "--example", "nycflights13", cwd=tmp_path))
    names = [load_project(tmp_path / f).name for f in ("team_a", "flights-a", "flights-b")]
    assert names == ["team_a", "flights_a", "flights_b"]
    listed = ok_json(fg("contracts", "list", "--json", cwd=tmp_path / "flights-a"))
    assert sorted(r["source"] for r in listed) == ["planes", "route_delays", "weather"]
