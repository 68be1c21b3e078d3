"""A featureguard project: the folder a team keeps its sources, contracts and Feast definitions in.

Like a Feast repo (``feast init``), a project is a folder holding a plain ``feature_store.yaml``
(our plug-ins as types), plus:

- ``contracts/``: one contract per source, a Python module defining ``CONTRACT`` or a YAML file
  in the ``featureguard contracts export SOURCE --format yaml`` format;
- optional Feast definition modules (``*.py`` beside ``feature_store.yaml``), read the way
  ``feast apply`` reads them;
- featureguard's own settings in a ``featureguard:`` section of ``feature_store.yaml``. One file
  instead of a second one beside it: Feast's ``RepoConfig`` keeps unknown top-level keys (it is
  a pydantic model with ``extra="allow"``), so the stock ``feast`` CLI reads the same file, and a
  project cannot end up with settings that disagree with the Feast config they sit beside.

Settings: ``home`` (the data home, relative to the project; default ``.featureguard``),
``max_decoded_bytes``. The environment wins over the file (``FEATUREGUARD_HOME``), as it does
for Feast's ``${VAR}`` references, so a test or a deployment can point a project elsewhere.

Which project: ``--repo DIR``, else ``FEATUREGUARD_REPO``, else the current folder when it holds
``feature_store.yaml``. Feast-free.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from featureguard.errors import BadInputError
from featureguard.settings import HOME_ENV

REPO_ENV = "FEATUREGUARD_REPO"
FEATURE_STORE_YAML = "feature_store.yaml"
SETTINGS_KEY = "featureguard"
DEFAULT_HOME = ".featureguard"
CONTRACTS_DIR = "contracts"
EXAMPLE_PACKAGE = "featureguard.feature_repo"


class NotAProjectError(BadInputError):
    """No feature_store.yaml where a project was expected (exit 2)."""


@dataclass(frozen=True)
class Project:
    """A project folder and what its ``feature_store.yaml`` says about featureguard."""

    root: Path
    name: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_store_yaml(self) -> Path:
        return self.root / FEATURE_STORE_YAML

    @property
    def contracts_dir(self) -> Path:
        return self.root / CONTRACTS_DIR

    @property
    def data_home(self) -> Path:
        """``FEATUREGUARD_HOME`` if set, else the ``home`` setting (relative to the project)."""
        env = os.environ.get(HOME_ENV)
        if env:
            return Path(env).expanduser().resolve()
        return (self.root / str(self.settings.get("home", DEFAULT_HOME))).expanduser().resolve()


def load_project(root: Path | str) -> Project:
    """The project in ``root``; NotAProjectError when it holds no readable feature_store.yaml."""
    root = Path(root).expanduser().resolve()
    path = root / FEATURE_STORE_YAML
    if not path.is_file():
        raise NotAProjectError(
            f"{root} is not a featureguard project (no {FEATURE_STORE_YAML}); create one with "
            f"`featureguard init DIR`, or pass --repo DIR / set {REPO_ENV}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NotAProjectError(f"{path}: unreadable: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("project"), str):
        raise NotAProjectError(f"{path}: not a Feast feature_store.yaml (no `project:` name)")
    settings = raw.get(SETTINGS_KEY) or {}
    if not isinstance(settings, dict):
        raise NotAProjectError(f"{path}: the `{SETTINGS_KEY}:` section must be a mapping")
    return Project(root=root, name=raw["project"], settings=settings)


def find_project(repo: Path | str | None = None) -> Project:
    """``repo``, else ``FEATUREGUARD_REPO``, else the current folder."""
    chosen = repo or os.environ.get(REPO_ENV) or Path.cwd()
    return load_project(chosen)


def example_root() -> Path:
    """The nycflights13 example project shipped with the package (package data)."""
    return Path(str(resources.files(EXAMPLE_PACKAGE))).resolve()


#: settings of the ``featureguard:`` section that the environment carries to every reader of them
#: (and to the processes a command starts); an explicitly set variable wins over the file
SETTING_ENVS = {"max_decoded_bytes": "FEATUREGUARD_MAX_DECODED_BYTES"}
_envs_set: dict[str, str] = {}

_active: Project | None = None
_home_set_by: Path | None = None  # the project whose home we put in FEATUREGUARD_HOME, if we did


def activate(project: Project) -> Project:
    """Makes ``project`` the one this process (and the processes it starts) works on: its
    contracts, and its data home unless FEATUREGUARD_HOME was set by the caller."""
    global _active, _home_set_by
    if _home_set_by is not None and os.environ.get(HOME_ENV) == str(_project_home(_home_set_by)):
        del os.environ[HOME_ENV]  # ours, from the previously active project
    if not os.environ.get(HOME_ENV):
        os.environ[HOME_ENV] = str(project.data_home)
        _home_set_by = project.root
    for key, env in SETTING_ENVS.items():
        if _envs_set.get(env) is not None and os.environ.get(env) == _envs_set[env]:
            del os.environ[env]  # ours, from the previously active project
            _envs_set.pop(env)
        if key in project.settings and not os.environ.get(env):
            os.environ[env] = _envs_set[env] = str(project.settings[key])
    os.environ[REPO_ENV] = str(project.root)
    # the contract registry follows FEATUREGUARD_REPO on its next use: activating loads nothing (a
    # process that only starts others, like serve's supervisor, never imports pandera)
    _active = project
    return project


def _project_home(root: Path) -> Path:
    settings = load_project(root).settings
    return (root / str(settings.get("home", DEFAULT_HOME))).expanduser().resolve()


def current_project() -> Project:
    """The active project, found (and activated) on first use."""
    if _active is not None and str(_active.root) == os.environ.get(REPO_ENV, str(_active.root)):
        return _active
    return activate(find_project())
