"""What the packaging promises, read from pyproject.toml and the source folders (no build)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
#: The only top-level import name the distribution may install.
TOP_LEVEL = "featureguard"


def setuptools_config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]


def package_dirs() -> dict[str, Path]:
    """Import name -> repository folder, as ``package-dir`` maps them."""
    return {name: ROOT / folder for name, folder in setuptools_config()["package-dir"].items()}


def package_folders() -> dict[str, Path]:
    """Every Python package (a folder with ``__init__.py``) under the mapped folders, by the
    dotted name it installs as."""
    found: dict[str, Path] = {}
    for name, folder in package_dirs().items():
        for init in folder.rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(folder)
            found[".".join((name, *rel.parts))] = init.parent
    return found


def wheel_path(dotted: str) -> str:
    """Where a package's folder sits inside the wheel (``featureguard.cli`` -> ``featureguard/cli``)."""
    return dotted.replace(".", "/")
