"""A contract as data: pandera's own serialization plus the facts pandera has no field for.

A snapshot is the dict pandera's ``to_json``/``to_yaml`` writes, with the contract's identity,
keys, time semantics and SLA under ``metadata.featureguard`` (pandera's deserializer reads
``metadata`` back; its serializer does not write it, so it is added here). The same dict is a
version-lock entry, the YAML export and an input of ``contracts diff``; ``from_snapshot`` turns
it back into a working Contract with ``pandera.io.deserialize_schema``.

``facts`` flattens a snapshot into plain comparable values (column dtype, nullability, checks
with their statistics), using pandera's check registry to name statistics, so the diff never
depends on which of pandera's two check layouts (flat or list) a file happens to use.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pandera.pandas as pa
from pandera.io import pandas_io
from pandera.io._flat_checks import COMPONENT_RESERVED_KEYS
from pandera.io._minimal import COLUMN_DEFAULTS, DF_SCHEMA_DEFAULTS

import featureguard.contracts.checks  # noqa: F401  (registers the built-in checks a snapshot may name)
from featureguard.contracts.model import Contract

META_KEY = "featureguard"


class SnapshotError(ValueError):
    """A contract cannot be serialized faithfully, or a snapshot cannot be read."""


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def contract_facts(contract: Contract) -> dict[str, Any]:
    """Everything about a contract that pandera's schema does not hold."""
    described = {c.name: c.description for c in contract.schema.checks if c.description}
    for column in contract.schema.columns.values():
        described.update({f"{column.name}:{c.name}": c.description for c in column.checks if c.description})
    return {
        "name": contract.name,
        "version": contract.version,
        "owner": contract.owner,
        "description": contract.description,
        "entity_columns": list(contract.entity_columns),
        "timestamp_column": contract.timestamp_column,
        "created_timestamp_column": contract.created_timestamp_column,
        "feature_ttl_seconds": _seconds(contract.feature_ttl),
        "max_age_seconds": _seconds(contract.max_age),
        "compatibility": contract.compatibility,
        "tags": dict(contract.tags),
        "check_descriptions": described,
        # only when set: contracts without markers keep their locked snapshots byte for byte
        **({"null_markers": list(contract.null_markers)} if contract.null_markers else {}),
    }


def snapshot(contract: Contract, lenient: bool = False) -> dict[str, Any]:
    """pandera's serialization of the schema plus the contract facts; refuses to drop a check.

    ``lenient`` (for diffs of old revisions written before checks were registered): a check
    pandera cannot serialize is kept by name only, so the diff still sees it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if lenient else "error", UserWarning)
        try:
            serialized = json.loads(contract.schema.to_json())
        except UserWarning as exc:  # pandera skips unregistered checks with a warning
            raise SnapshotError(
                f"contract {contract.name!r}: {exc} Register the check with "
                "featureguard.contracts.checks.register_check so it can be versioned and exported."
            ) from None
    if lenient:
        _keep_unserialized_checks(contract, serialized)
    serialized.pop("version", None)  # pandera's own version: not part of the contract
    serialized["metadata"] = {META_KEY: contract_facts(contract)}
    return serialized


def _keep_unserialized_checks(contract: Contract, serialized: dict[str, Any]) -> None:
    for name, column in contract.schema.columns.items():
        spec = serialized["columns"].setdefault(name, {})
        present = set(_column(name, spec).checks)
        missing = [{"options": {"check_name": c.name}} for c in column.checks if c.name not in present]
        if missing:
            spec["checks"] = [*(spec.get("checks") or []), *missing]
    present = set(_checks(serialized.get("checks")))
    missing = [{"options": {"check_name": c.name}} for c in contract.schema.checks if c.name not in present]
    if missing:
        serialized["checks"] = [*(serialized.get("checks") or []), *missing]


def meta(snap: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(snap["metadata"][META_KEY])
    except (KeyError, TypeError):
        raise SnapshotError("not a featureguard contract snapshot: no metadata.featureguard section") from None


def from_snapshot(snap: dict[str, Any]) -> Contract:
    """A working Contract again (pandera rebuilds the schema; registered checks are looked up)."""
    facts_ = meta(snap)
    try:
        schema = pandas_io.deserialize_schema({k: v for k, v in snap.items() if k != "metadata"})
    except AttributeError as exc:
        raise SnapshotError(f"contract {facts_.get('name')!r}: check not registered in this process: {exc}") from None
    for name, column in schema.columns.items():
        column.checks = [_describe(c, facts_, f"{name}:{c.name}") for c in column.checks]
    schema.checks = [_describe(c, facts_, c.name) for c in schema.checks]
    ttl, age = facts_.get("feature_ttl_seconds"), facts_.get("max_age_seconds")
    return Contract(
        name=facts_["name"], version=facts_["version"], owner=facts_.get("owner", ""),
        description=facts_.get("description", ""), entity_columns=tuple(facts_["entity_columns"]),
        timestamp_column=facts_["timestamp_column"], schema=schema,
        feature_ttl=None if ttl is None else timedelta(seconds=ttl),
        max_age=None if age is None else timedelta(seconds=age),
        compatibility=facts_.get("compatibility", "BACKWARD"),
        created_timestamp_column=facts_.get("created_timestamp_column"), tags=dict(facts_.get("tags") or {}),
        null_markers=tuple(facts_.get("null_markers") or ()),
    )


def _describe(check: pa.Check, facts_: dict[str, Any], key: str) -> pa.Check:
    description = (facts_.get("check_descriptions") or {}).get(key)
    if description and not check.description:
        check.description = description
    return check


# ------------------------------------------------------------------ comparable facts


@dataclass(frozen=True)
class ColumnFacts:
    name: str
    dtype: str
    nullable: bool
    required: bool
    unique: bool
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # check name -> statistics


@dataclass(frozen=True)
class ContractFacts:
    """A snapshot reduced to the plain values the compatibility rules compare."""

    name: str
    version: str
    compatibility: str
    entity_columns: tuple[str, ...]
    timestamp_column: str
    created_timestamp_column: str | None
    feature_ttl_seconds: float | None
    max_age_seconds: float | None
    owner: str
    description: str
    tags: dict[str, str]
    columns: dict[str, ColumnFacts]
    frame_checks: dict[str, dict[str, Any]]
    unique: tuple[str, ...]
    strict: Any
    coerce: bool

    @property
    def feature_columns(self) -> list[str]:
        skip = {*self.entity_columns, self.timestamp_column, self.created_timestamp_column}
        return [c for c in self.columns if c not in skip]

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


def plain(value: Any) -> Any:
    """A statistic as JSON-comparable data (sets sorted, numpy scalars unwrapped, regexes as text)."""
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "pattern") and hasattr(value, "flags"):
        return value.pattern
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _statistics(name: str, value: Any) -> dict[str, Any]:
    """Statistics named as pandera names them: the registered check method is built and asked."""
    method = getattr(pa.Check, name, None)
    try:
        if method is None:
            raise TypeError
        if isinstance(value, dict):
            check = method(**value)
        elif value is None:
            check = method()
        else:
            check = method(value)
        return plain(dict(check.statistics or {}))
    except Exception:  # unregistered or unexpected layout: keep what the file says
        if value is None:
            return {}
        return plain(value if isinstance(value, dict) else {"value": value})


def _checks(entries: Any) -> dict[str, dict[str, Any]]:
    """Both of pandera's layouts: ``[{stat.., options: {check_name}}]`` or ``{name: value}``."""
    out: dict[str, dict[str, Any]] = {}
    if isinstance(entries, dict):
        entries = [{**(v if isinstance(v, dict) else {"value": v}), "options": {"check_name": k}}
                   for k, v in entries.items()]
    for entry in entries or []:
        options = dict(entry.get("options") or {})
        name = options.pop("check_name", None) or options.get("name")
        stats = {k: v for k, v in entry.items() if k != "options"}
        if list(stats) == ["value"]:
            out[name] = _statistics(name, stats["value"])
        else:
            out[name] = _statistics(name, stats or None)
    return out


def _column(name: str, spec: dict[str, Any]) -> ColumnFacts:
    spec = dict(spec or {})
    checks = _checks(spec.get("checks"))
    for key, value in spec.items():
        if key not in COMPONENT_RESERVED_KEYS and key != "checks":
            checks.update(_checks({key: value}))
    get = lambda key: spec.get(key, COLUMN_DEFAULTS.get(key))  # noqa: E731
    return ColumnFacts(name, str(spec.get("dtype")), bool(get("nullable")), bool(get("required")),
                       bool(get("unique")), checks)


def facts(snap: dict[str, Any]) -> ContractFacts:
    m = meta(snap)
    columns = {name: _column(name, spec) for name, spec in (snap.get("columns") or {}).items()}
    get = lambda key: snap.get(key, DF_SCHEMA_DEFAULTS.get(key))  # noqa: E731
    return ContractFacts(
        name=m["name"], version=str(m["version"]), compatibility=str(m.get("compatibility", "BACKWARD")),
        entity_columns=tuple(m["entity_columns"]), timestamp_column=m["timestamp_column"],
        created_timestamp_column=m.get("created_timestamp_column"),
        feature_ttl_seconds=m.get("feature_ttl_seconds"), max_age_seconds=m.get("max_age_seconds"),
        owner=m.get("owner", ""), description=m.get("description", ""), tags=dict(m.get("tags") or {}),
        columns=columns, frame_checks=_checks(snap.get("checks")),
        unique=tuple(get("unique") or ()), strict=get("strict"), coerce=bool(get("coerce")),
    )


def contract_yaml(contract: Contract) -> str:
    """The snapshot as YAML: loadable by ``pandera.DataFrameSchema.from_yaml`` as it stands."""
    import yaml

    return yaml.safe_dump(snapshot(contract), sort_keys=False, allow_unicode=True)
