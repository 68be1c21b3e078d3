"""A project's Feast objects against its contracts: the Feast half of ``contracts check``.

Are the feature views still exactly what the contracts say (features and their types, join
keys, timestamp field, TTL, version tag)? ``featureguard apply`` refuses on a failure;
``contracts check`` reports it beside the Feast-free lock and stored-data findings of
``featureguard.contracts.repo_check``. Imports Feast (through the field types).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable

from featureguard.contracts.model import Contract
from featureguard.contracts.repo_check import Finding
from featureguard.feature_repo.fields import feast_field
from featureguard.feature_repo.tags import tagged_contract, tagged_version


def _view_problems(view: Any, contract: Contract, join_keys: dict[str, str]) -> list[str]:
    problems = []
    if tagged_version(view) != contract.version:
        problems.append(f"tagged version {tagged_version(view)} != {contract.version}")
    unknown = [f.name for f in view.features if f.name not in contract.feature_columns]
    if unknown:  # a view may serve some of the features (``feature_view(contract, features=[...])``)
        problems.append(f"features {unknown} are not among the contract's {contract.feature_columns}")
    else:
        for f in view.features:
            declared = feast_field(contract, f.name).dtype
            if f.dtype != declared:
                problems.append(f"{f.name} is {f.dtype}, contract says {declared}")
    keys = sorted(join_keys.get(e, e) for e in view.entities)
    if keys != sorted(contract.entity_columns):
        problems.append(f"join keys {keys} != entity columns {sorted(contract.entity_columns)}")
    if view.batch_source.timestamp_field != contract.timestamp_column:
        problems.append(f"timestamp field {view.batch_source.timestamp_field} != {contract.timestamp_column}")
    if view.ttl != (contract.feature_ttl or timedelta(0)):
        problems.append(f"ttl {view.ttl} != {contract.feature_ttl}")
    return problems


def check_feast(contracts: Iterable[Contract], objects: Any) -> list[Finding]:
    """Feature views of a project's objects (``objects.entities``, ``objects.feature_views``,
    e.g. ``featureguard.project_repo.project_objects``) against the contracts. A view without a
    ``contract`` tag is not judged."""
    by_name = {c.name: c for c in contracts}
    join_keys = {e.name: e.join_key for e in objects.entities}
    findings: list[Finding] = []
    served = set()
    for view in objects.feature_views:
        source = tagged_contract(view)
        if source is None:
            continue
        contract = by_name.get(source)
        if contract is None:
            findings.append(Finding(source, "feast", False, f"view {view.name} names no registered contract"))
            continue
        served.add(source)
        problems = _view_problems(view, contract, join_keys)
        findings.append(Finding(source, "feast", False, f"view {view.name}: " + "; ".join(problems)) if problems
                        else Finding(source, "feast", True, f"view {view.name} matches contract {contract.version}"))
    for name in sorted(set(by_name) - served):
        findings.append(Finding(name, "feast", True, "no feature view serves this source"))
    return findings
