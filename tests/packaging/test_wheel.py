"""The built wheel installs one import root, ``featureguard``, with the example project as
package data, and works from a folder holding its own ``services``, ``contracts`` and
``feature_repo`` packages (the collisions the old top-level names caused)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.packaging.layout import ROOT, TOP_LEVEL, package_folders, wheel_path

pytestmark = pytest.mark.slow

#: The nycflights13 example project's files that must ship as package data.
EXAMPLE_DATA = ("feature_store.yaml", "definitions.py", "contracts/weather.py", "contracts/planes.py",
                "contracts/route_delays.py", "contracts/versions.lock.json")


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def _dist_info(names: list[str]) -> str:
    (info,) = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
    return info


def test_the_wheel_installs_only_featureguard(wheel):
    names = _names(wheel)
    info = _dist_info(names)
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read(f"{info}/top_level.txt").decode().split() == [TOP_LEVEL]
    outside = [n for n in names if n.split("/")[0] not in (TOP_LEVEL, info)]
    assert outside == [], f"files outside {TOP_LEVEL}/ and {info}/: {outside}"


def test_every_package_and_module_is_in_the_wheel(wheel):
    names = set(_names(wheel))
    for dotted, folder in package_folders().items():
        for module in folder.glob("*.py"):
            assert f"{wheel_path(dotted)}/{module.name}" in names, f"{module.relative_to(ROOT)} is not in the wheel"


def test_the_example_project_ships_as_package_data(wheel):
    names = set(_names(wheel))
    example = wheel_path("featureguard.feature_repo")
    missing = [rel for rel in EXAMPLE_DATA if f"{example}/{rel}" not in names]
    assert missing == []
    shipped = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith(f"{example}/contracts/"))
    in_repo = sorted(p.name for p in (ROOT / "feature_repo" / "contracts").iterdir()
                     if p.suffix in (".py", ".json", ".yaml") and p.is_file())
    assert shipped == in_repo


@pytest.fixture()
def colliding_folder(tmp_path: Path) -> Path:
    """A folder like a ``feast init`` repo's parent: its own feature_repo, services and contracts."""
    folder = tmp_path / "team"
    for package in ("feature_repo", "services", "contracts"):
        (folder / package).mkdir(parents=True)
        (folder / package / "__init__.py").write_text(f'OWNER = "team {package}"\n')
    (folder / "feature_repo" / "definitions.py").write_text('def build_repo():\n    return "the team\'s repo"\n')
    return folder


def test_the_wheel_is_what_the_fresh_venv_imports(fresh_venv, tmp_path):
    done = fresh_venv.run(fresh_venv.python, "-c",
                          "import featureguard, featureguard.project as p; print(featureguard.__file__); "
                          "print(p.example_root())", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    module, example = (Path(line) for line in done.stdout.split())
    assert module.is_relative_to(fresh_venv.root) and example.is_relative_to(fresh_venv.root), done.stdout


def test_help_works_beside_a_teams_own_packages(fresh_venv, colliding_folder):
    # on the path too, as a team's code would be: ours must not import any of them
    on_path = {"PYTHONPATH": str(colliding_folder)}
    done = fresh_venv.run(fresh_venv.featureguard, "--help", cwd=colliding_folder, **on_path)
    assert done.returncode == 0, done.stderr
    assert "Usage: featureguard" in done.stdout and "init" in done.stdout

    code = (
        "import featureguard.cli.app, featureguard.contracts, featureguard.feature_repo.objects\n"
        "from feature_repo.definitions import build_repo\n"
        "import contracts, feature_repo, services\n"
        "print(build_repo()); print(services.OWNER, contracts.OWNER, feature_repo.OWNER, sep=', ')\n"
    )
    done = fresh_venv.run(fresh_venv.python, "-c", code, cwd=colliding_folder, **on_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["the team's repo", "team services, team contracts, team feature_repo"]


def test_init_copies_the_packaged_example_and_its_contracts_load(fresh_venv, tmp_path):
    done = fresh_venv.run(fresh_venv.featureguard, "init", "flights", "--example", "nycflights13", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "flights"
    for rel in EXAMPLE_DATA:
        assert (project / rel).is_file(), rel
    listed = fresh_venv.run(fresh_venv.featureguard, "--repo", project, "contracts", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for source in ("weather", "planes", "route_delays"):
        assert f'"{source}"' in listed.stdout


def test_a_starter_project_validates_and_applies_from_the_wheel(fresh_venv, tmp_path, redis_server):
    assert fresh_venv.run(fresh_venv.featureguard, "init", "sensors", cwd=tmp_path).returncode == 0
    project = tmp_path / "sensors"
    # the sample batch holds one reading outside the contract's range
    checked = fresh_venv.run(fresh_venv.featureguard, "validate", "readings", "data/readings-sample.csv", cwd=project)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "temperature" in checked.stdout
    applied = fresh_venv.run(fresh_venv.featureguard, "apply", cwd=project, REDIS_URL=redis_server.url)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "sensor_health" in applied.stdout and "readings" in applied.stdout
