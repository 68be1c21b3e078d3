"""``featureguard init``: a new project folder that works from the first command.

The starter holds one source (``readings``: sensor readings keyed by sensor id) with its
contract, a feature view and a feature service built from it, a sample batch and a README
naming the next commands. ``example="nycflights13"`` copies the packaged demo project instead.
Feast-free: it only writes files.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from featureguard.errors import BadInputError

EXAMPLES = ("starter", "nycflights13")

FEATURE_STORE_YAML = """\
# A Feast repo and a featureguard project. Feast reads the usual keys; featureguard reads its own
# section below. featureguard chooses the online store per run (REDIS_URL, with
# FEATUREGUARD_REDIS_TYPE=redis_cluster for a cluster; else a private redis-server; else SQLite).
project: {name}
provider: local
registry: .featureguard/registry.db
online_store:
  type: redis
  connection_string: ${{FEATUREGUARD_REDIS}}
offline_store:
  type: featureguard.offline_store.AsofOfflineStore
batch_engine:
  type: featureguard.materialize.BulkRedisComputeEngine
entity_key_serialization_version: 3
featureguard:
  home: .featureguard   # data home: offline tables, quarantine, receipts, registry (FEATUREGUARD_HOME wins)
"""

CONTRACT = '''\
"""Sensor readings: one row per sensor and minute. The contract every batch must meet."""

from datetime import timedelta

import pandera.pandas as pa

from featureguard.contracts import contract, utc_timestamp_column

CONTRACT = contract(
    "readings",
    "1.0.0",
    owner="sensors@example.com",
    description="Per-minute sensor readings.",
    entity_columns=("sensor_id",),
    timestamp_column="event_time",
    columns={
        "sensor_id": pa.Column(int, pa.Check.ge(0), nullable=False),
        "event_time": utc_timestamp_column(),
        "temperature": pa.Column(float, pa.Check.in_range(-50.0, 150.0), nullable=True),
        "status": pa.Column(str, pa.Check.isin(["ok", "degraded", "fault"]), nullable=False),
    },
    feature_ttl=timedelta(hours=1),
    max_age=timedelta(minutes=10),
)
'''

DEFINITIONS = '''\
"""Feast objects of this project, their schemas taken from the contracts (never retyped)."""

from feast import FeatureService

import featureguard

sensor = featureguard.entity("readings", "sensor_id", name="sensor")
readings = featureguard.feature_view("readings", entities=[sensor])

sensor_health = FeatureService(name="sensor_health", features=[readings])
'''

#: (sensor, minutes before init, temperature, status); the 400.0 breaks the contract's range
SAMPLE_ROWS = [(1, 2, "21.5", "ok"), (1, 1, "21.7", "ok"), (2, 2, "", "degraded"), (2, 1, "88.0", "ok"),
               (3, 2, "19.0", "ok"), (3, 1, "400.0", "fault")]


def sample_csv(now: datetime) -> str:
    """The sample batch, stamped just before ``now`` so the first incremental materialization
    (which looks back one TTL) finds it."""
    minute = now.astimezone(timezone.utc).replace(second=0, microsecond=0)
    lines = ["sensor_id,event_time,temperature,status"]
    for sensor, ago, temperature, status in SAMPLE_ROWS:
        stamp = (minute - timedelta(minutes=ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{sensor},{stamp},{temperature},{status}")
    return "\n".join(lines) + "\n"

README = """\
# {name}

A featureguard project: contracts in `contracts/`, Feast definitions in `definitions.py`,
settings in `feature_store.yaml`. Next:

```bash
featureguard ingest {source} {sample}     # the contract gates every row; one is quarantined
featureguard apply                         # register the Feast objects (contract checks first)
featureguard materialize --incremental     # latest values into the online store
```

Then `featureguard online -e {key}=1 --feature-service {service}`, or `featureguard serve`.
"""


def project_name(folder: Path) -> str:
    """A Feast project name from a folder name (letters, digits and underscores)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", folder.resolve().name).strip("_") or "project"
    return name if name[0].isalpha() else f"p_{name}"


def init_project(folder: Path, example: str = "starter", force: bool = False) -> list[Path]:
    """Writes a project into ``folder`` (created); returns the files written."""
    if example not in EXAMPLES:
        raise BadInputError(f"--example must be one of {', '.join(EXAMPLES)}, got {example!r}")
    folder = Path(folder)
    if (folder / "feature_store.yaml").exists() and not force:
        raise BadInputError(f"{folder} already holds a feature_store.yaml (use --force to overwrite)")
    folder.mkdir(parents=True, exist_ok=True)
    if example == "nycflights13":
        return _copy_example(folder)
    name = project_name(folder)
    files = {
        "feature_store.yaml": FEATURE_STORE_YAML.format(name=name),
        "contracts/readings.py": CONTRACT,
        "definitions.py": DEFINITIONS,
        "data/readings-sample.csv": sample_csv(datetime.now(timezone.utc)),
        "README.md": README.format(name=name, source="readings", sample="data/readings-sample.csv",
                                   key="sensor_id", service="sensor_health"),
        ".gitignore": ".featureguard/\n",
    }
    return [_write(folder / rel, text) for rel, text in files.items()]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _copy_example(folder: Path) -> list[Path]:
    """The packaged nycflights13 project, with a data home of its own."""
    from featureguard.project import example_root

    root = example_root()
    written = []
    for rel in ("definitions.py", "contracts"):
        src, dst = root / rel, folder / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            written.extend(sorted(p for p in dst.rglob("*") if p.is_file()))
        else:
            written.append(Path(shutil.copy2(src, dst)))
    yaml_text = (root / "feature_store.yaml").read_text(encoding="utf-8")
    yaml_text = yaml_text.replace("registry: ${FEATUREGUARD_HOME}/registry.db", "registry: .featureguard/registry.db")
    # its own Feast project name (the Redis key suffix), never the packaged example's
    yaml_text = re.sub(r"(?m)^project: .*$", f"project: {project_name(folder)}", yaml_text, count=1)
    yaml_text += "featureguard:\n  home: .featureguard\n"
    written.append(_write(folder / "feature_store.yaml", yaml_text))
    written.append(_write(folder / "README.md", README.format(
        name="nycflights13", source="weather", sample="weather.parquet", key="origin",
        service="departure_delay_model").replace("one is quarantined", "write a batch first, e.g. from `featureguard demo`'s inbox")))
    written.append(_write(folder / ".gitignore", ".featureguard/\n"))
    return written
