"""``featureguard apply``: check the project's Feast objects against its contracts, then register
them as ``feast apply`` does, publish the contract versions in the lock, and say what changed.

Refused (nothing registered, the lock untouched) when a view's schema disagrees with its
contract (the finding names the view, the column and both types), or when a contract changed
since its recorded version in a way its compatibility mode forbids without a major version bump
(or changed without a version bump at all). A new compatible version is recorded in the
project's ``contracts/versions.lock.json``: applying is publishing. Imports Feast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from featureguard.contracts import get_contract, list_sources
from featureguard.contracts.repo_check import Finding, check_lock
from featureguard.contracts.versions import LockError, read_lock, record, write_lock
from featureguard.errors import BadInputError
from featureguard.feature_repo.tags import tagged_contract
from featureguard.project import Project
from featureguard.project_check import check_feast
from featureguard.project_repo import ProjectObjects, project_objects


class ApplyRefused(BadInputError):
    """The project's objects or contracts failed a check; nothing was registered (exit 1)."""

    exit_code = 1

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("the project's contract checks refuse it: "
                         + "; ".join(f"{f.source} ({f.area}): {f.message}" for f in findings))


@dataclass
class ApplyResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    defaulted: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # source@version newly recorded in the lock

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged,
                "removed": self.removed, "default_views_for": self.defaulted, "published": self.published,
                "findings": [f.to_dict() for f in self.findings]}


def _publish(lock: dict[str, Any]) -> list[str]:
    """Records every contract's current version in ``lock``; ApplyRefused on a forbidden change,
    said as ``contracts check`` says it (the columns, the old and new values)."""
    published: list[str] = []
    for source in list_sources():
        contract = get_contract(source)
        try:
            published += record(lock, [contract])
        except LockError as exc:
            said = [f for f in check_lock([contract], lock) if not f.ok and f.area == "lock"]
            raise ApplyRefused(said or [Finding(source, "lock", False, str(exc))]) from None
    return published


def _registered(store: Any) -> dict[str, bytes]:
    """``kind/name`` -> serialized spec of every object in the registry for this project."""
    kinds = {
        "entity": store.list_entities,
        "feature_view": store.list_feature_views,
        "on_demand_feature_view": store.list_on_demand_feature_views,
        "feature_service": store.list_feature_services,
        "data_source": store.list_data_sources,
    }
    found: dict[str, bytes] = {}
    for kind, lister in kinds.items():
        for obj in lister():
            if kind == "entity" and obj.name == "__dummy":
                continue
            found[f"{kind}/{obj.name}"] = _canonical(obj.to_proto())
    return found


def _canonical(proto: Any) -> bytes:
    """An object's definition without the registry's bookkeeping (``meta``: created and updated
    times, at any depth), so re-applying the same definitions shows as unchanged."""
    import json

    from google.protobuf.json_format import MessageToDict

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "meta"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(MessageToDict(proto)), sort_keys=True).encode()


def check_objects(objects: ProjectObjects) -> list[Finding]:
    """The project's views against its contracts; ApplyRefused naming every view that disagrees.
    Whatever registers the project's objects (apply, materialize, ``serve --apply``) runs it."""
    findings = check_feast([get_contract(s) for s in list_sources()], objects)
    failed = [f for f in findings if not f.ok]
    if failed:
        raise ApplyRefused(failed)
    return findings


def apply_project(project: Project, store: Any) -> ApplyResult:
    """Checks, then ``store.apply`` of the project's objects, removing registered objects the
    project no longer defines (as ``feast apply`` does)."""
    objects = project_objects(project)
    findings = check_objects(objects)
    lock = read_lock()
    published = _publish(lock)
    before = _registered(store)
    wanted = {(type(o).__name__, o.name) for o in objects.objects}
    stale = [o for o in (*store.list_feature_services(), *store.list_feature_views(),
                         *store.list_on_demand_feature_views(), *store.list_entities())
             if (type(o).__name__, o.name) not in wanted and o.name != "__dummy"]
    # the Parquet source of a contract goes with the last view that reads it (Feast registers a
    # view's sources implicitly); sources featureguard did not make are left alone
    used = {o.name for o in objects.others} | {src.name for v in objects.feature_views
                                               for src in (v.batch_source, v.stream_source) if src}
    stale += [s for s in store.list_data_sources() if tagged_contract(s) and s.name not in used]
    store.apply(objects.objects, objects_to_delete=stale, partial=False)
    if published:
        write_lock(lock)
    after = _registered(store)
    result = ApplyResult(defaulted=list(objects.defaulted), findings=findings, published=published)
    for key in sorted(after):
        if key not in before:
            result.added.append(key)
        elif before[key] != after[key]:
            result.changed.append(key)
        else:
            result.unchanged.append(key)
    result.removed = sorted(set(before) - set(after))
    return result
