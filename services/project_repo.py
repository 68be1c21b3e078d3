"""A project's Feast objects: its definition modules, plus a default view for every contract that
no definition serves. Imports Feast: only the commands that build the feature store load this.

Definition modules are the ``*.py`` files beside ``feature_store.yaml`` (not ``contracts/``),
read the way ``feast apply`` reads a repo: every Entity, FeatureView, FeatureService, data
source and on-demand view bound to a module-level name. They are executed afresh on each call,
so objects always point into the data home current at that moment.

The zero-Python path: a contract no view is tagged with gets a view named after its source, an
entity per key column, the contract's TTL, every feature column, online on.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from featureguard.contracts import get_contract, list_sources
from featureguard.feature_repo.objects import entity, feature_view
from featureguard.feature_repo.tags import tagged_contract
from featureguard.project import Project
from featureguard.settings import data_home


class DefinitionError(ValueError):
    """A project definition module fails to load (the message names the file)."""


@dataclass
class ProjectObjects:
    """Every Feast object of a project, in the order ``FeatureStore.apply`` takes them."""

    entities: list = field(default_factory=list)
    feature_views: list = field(default_factory=list)
    feature_services: list = field(default_factory=list)
    others: list = field(default_factory=list)  # data sources, on-demand views, push sources
    defaulted: list[str] = field(default_factory=list)  # sources that got a default view

    @property
    def objects(self) -> list:
        return [*self.entities, *self.feature_views, *self.feature_services, *self.others]


def definition_files(project: Project) -> list[Path]:
    return sorted(p for p in project.root.glob("*.py") if not p.name.startswith(("_", ".")))


def _execute(path: Path) -> dict:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"featureguard_definitions_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it runs
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise DefinitionError(f"{path}: fails to load: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.modules.pop(name, None)
    return vars(module)


def _collect(namespace: dict, found: ProjectObjects, seen: set[int]) -> None:
    from feast import Entity, FeatureService, FeatureView, OnDemandFeatureView
    from feast.data_source import DataSource

    for obj in namespace.values():
        if id(obj) in seen:
            continue
        if isinstance(obj, Entity):
            found.entities.append(obj)
        elif isinstance(obj, FeatureView):
            found.feature_views.append(obj)
        elif isinstance(obj, FeatureService):
            found.feature_services.append(obj)
        elif isinstance(obj, (OnDemandFeatureView, DataSource)):
            found.others.append(obj)
        else:
            continue
        seen.add(id(obj))


def project_objects(project: Project) -> ProjectObjects:
    """The project's definitions plus default views (see the module docstring)."""
    found = ProjectObjects()
    seen: set[int] = set()
    for path in definition_files(project):
        _collect(_execute(path), found, seen)
    served = {tagged_contract(v) for v in found.feature_views}
    names = {e.name for e in found.entities}
    for source in list_sources():
        if source in served:
            continue
        contract = get_contract(source)
        keys = []
        for column in contract.entity_columns:
            made = entity(contract, column)
            existing = next((e for e in found.entities if e.name == made.name), None)
            if existing is None:
                found.entities.append(made)
                names.add(made.name)
                existing = made
            keys.append(existing)
        found.feature_views.append(feature_view(contract, data_home(), entities=keys))
        found.defaulted.append(source)
    return found
