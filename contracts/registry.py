"""Which sources exist: the contracts of a project's ``contracts/`` folder, loaded on first use.

A source is one file: ``<name>.py`` defining ``CONTRACT`` or ``<name>.yaml``/``.yml`` in the
``contracts export --format yaml`` format (so an export drops straight into a project). The file
name is the source name, and the contract inside must say the same name.

The registry in use is the one ``use_registry`` installed (``featureguard.project.activate``);
without one, it is the ``contracts/`` folder of the project ``FEATUREGUARD_REPO`` names, or of
the current folder when it holds ``feature_store.yaml`` (so Feast's own ``feast apply``, run in
a project, sees the same contracts). Feast-free.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from featureguard.contracts.model import Contract

REPO_ENV = "FEATUREGUARD_REPO"
LOCK_FILE = "versions.lock.json"
_SUFFIXES = (".py", ".yaml", ".yml")


class UnknownSourceError(KeyError):
    """Raised for a source name the project has no contract for."""

    def __init__(self, name: str, known: list[str] | None = None, where: Path | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.known = known if known is not None else []
        self.where = where

    def __str__(self) -> str:
        where = f" in {self.where}" if self.where else ""
        known = ", ".join(self.known) or "none"
        return f"unknown source {self.name!r}; the project's sources{where}: {known}"


class ContractLoadError(ValueError):
    """A contract file exists but does not load into a Contract (the message names the file)."""


class ContractRegistry:
    """The contracts of one folder, each loaded once, on first use."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder).resolve()
        self._loaded: dict[str, "Contract"] = {}

    @property
    def lock_path(self) -> Path:
        """The project's version lock, beside its contracts."""
        return self.folder / LOCK_FILE

    def files(self) -> dict[str, Path]:
        """Source name -> its contract file."""
        if not self.folder.is_dir():
            return {}
        found: dict[str, Path] = {}
        for path in sorted(self.folder.iterdir()):
            if path.suffix in _SUFFIXES and path.is_file() and not path.name.startswith(("_", ".")):
                if path.stem in found:
                    raise ContractLoadError(f"{self.folder}: source {path.stem!r} is defined twice "
                                            f"({found[path.stem].name} and {path.name})")
                found[path.stem] = path
        return found

    def sources(self) -> list[str]:
        return sorted(self.files())

    def path_of(self, name: str) -> Path:
        files = self.files()
        if name not in files:
            raise UnknownSourceError(name, sorted(files), self.folder)
        return files[name]

    def get(self, name: str) -> "Contract":
        if name not in self._loaded:
            self._loaded[name] = _load(self.path_of(name), name)
        return self._loaded[name]


def _load(path: Path, name: str) -> "Contract":
    from featureguard.contracts.model import Contract

    if path.suffix == ".py":
        contract = _load_module(path).__dict__.get("CONTRACT")
    else:
        from featureguard.contracts.export import from_yaml_export

        try:
            contract = from_yaml_export(path.read_text(encoding="utf-8"))
        except Exception as exc:  # pandera and YAML raise many types; the file is what matters
            raise ContractLoadError(f"{path}: not a featureguard contract YAML: {exc}") from exc
    if not isinstance(contract, Contract):
        raise ContractLoadError(f"{path}: defines no CONTRACT")
    if contract.name != name:
        raise ContractLoadError(f"{path}: the file is named {name!r} but its contract is {contract.name!r}")
    return contract


def _load_module(path: Path):
    """Imports a contract module by path, under a name unique to its folder (two projects in one
    process may both have a ``weather.py``)."""
    digest = hashlib.sha1(str(path.parent).encode()).hexdigest()[:10]
    module_name = f"featureguard_project_{digest}.{path.stem}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise ContractLoadError(f"{path}: the contract module fails to load: {type(exc).__name__}: {exc}") from exc
    return module


_active: ContractRegistry | None = None
_active_for: str | None = None  # FEATUREGUARD_REPO when it was installed
_by_folder: dict[Path, ContractRegistry] = {}  # the registry last installed for each folder


def use_registry(registry: ContractRegistry | None) -> ContractRegistry | None:
    """Installs the registry every ``get_contract`` call reads (None: discover again); returns
    the one it replaces. A later change of FEATUREGUARD_REPO discovers again."""
    global _active, _active_for
    previous, _active, _active_for = _active, registry, os.environ.get(REPO_ENV)
    if registry is not None:
        _by_folder[registry.folder] = registry
    return previous


def registry_for(repo_path: Path | str | None) -> ContractRegistry:
    """The contracts of the project at ``repo_path`` (a Feast store's ``config.repo_path``), so
    a store keeps reading its own project's contracts after another project was activated in the
    same process (two ``open_store`` calls in one notebook). The current registry when
    ``repo_path`` is None or holds no ``contracts/`` folder."""
    current = current_registry()
    if repo_path is None:
        return current
    folder = (Path(repo_path) / "contracts").resolve()
    if folder == current.folder or not folder.is_dir():
        return current
    return _by_folder.setdefault(folder, ContractRegistry(folder))


def discover_folder() -> Path:
    """The contracts folder of ``FEATUREGUARD_REPO``, else of the current folder."""
    root = Path(os.environ.get(REPO_ENV) or Path.cwd())
    return root / "contracts"


def current_registry() -> ContractRegistry:
    if _active is None or os.environ.get(REPO_ENV) != _active_for:
        use_registry(ContractRegistry(discover_folder()))
    assert _active is not None
    return _active


def list_sources() -> list[str]:
    return current_registry().sources()


def get_contract(name: str) -> "Contract":
    return current_registry().get(name)
