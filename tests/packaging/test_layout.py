"""The package list in pyproject.toml is complete, so a new sub-package cannot be left out of
the wheel (setuptools installs only the packages listed)."""

from __future__ import annotations

from tests.packaging.layout import ROOT, TOP_LEVEL, package_dirs, package_folders, setuptools_config


def test_package_dir_maps_the_repository_folders_under_one_root():
    assert {name: path.relative_to(ROOT).as_posix() for name, path in package_dirs().items()} == {
        "featureguard": "services",
        "featureguard.contracts": "contracts",
        "featureguard.feature_repo": "feature_repo",
    }


def test_packages_list_equals_the_package_folders():
    listed = setuptools_config()["packages"]
    assert len(listed) == len(set(listed)), "a package is listed twice"
    folders = package_folders()
    assert set(listed) == set(folders), (
        f"missing from pyproject.toml: {sorted(set(folders) - set(listed))}; "
        f"listed without a folder: {sorted(set(listed) - set(folders))}")
    assert all(name == TOP_LEVEL or name.startswith(TOP_LEVEL + ".") for name in listed)


def test_every_folder_of_modules_is_a_package():
    """A folder of modules without ``__init__.py`` would be a namespace package that the
    ``packages`` list (and so the wheel) silently leaves out. The example project's contracts
    are package data, loaded by path, and stay a plain folder."""
    data_only = {ROOT / "feature_repo" / "contracts"}
    packages = set(package_folders().values())
    for folder in package_dirs().values():
        for module in folder.rglob("*.py"):
            if "__pycache__" in module.parts or module.parent in data_only:
                continue
            assert module.parent in packages, f"{module.relative_to(ROOT)} is in a folder without __init__.py"
