"""An ODCS v3 data contract (Open Data Contract Standard 3.0.x / 3.1.0) as a featureguard Contract.

Taken from ODCS, where it states them (``contracts.odcs_properties`` reads each property): a
property's type (``logicalType`` and its ``format``; our own exporter's pandas ``physicalType``
when it names one), ``required`` (nullability), ``unique``, ``primaryKey`` (the entity keys and the
row identity), ``logicalTypeOptions`` (ranges, pattern, string lengths), the library quality rules
that allow no bad row (``nullValues``, ``missingValues``, ``invalidValues`` with ``validValues`` or
``pattern``, ``duplicateValues``; also 3.0's ``rule:`` names), pandera custom rules that are pandera
built-ins, and the SLA's ``freshness``/``latency`` as ``max_age``.

Everything else is reported, never dropped in silence: ``not_expressed`` lists rules on the data
the contract will not enforce (SQL, text, tolerances such as "< 1 % nulls", row counts,
cross-column custom checks, multipleOf, string formats...), ``ignored`` lists documentation
fields a featureguard contract has no place for (servers, roles, pricing, classifications...).

The event time is, in this order: the caller's choice, a featureguard custom property
``timestampColumn``, or the one timestamp-typed primary-key column. Pure: a parsed document in,
a Contract and the report out.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from featureguard.contracts.describe import expectation
from featureguard.contracts.factory import contract as make_contract
from featureguard.contracts.infer import OWNER_PLACEHOLDER
from featureguard.contracts.model import Contract
from featureguard.contracts.odcs_properties import (
    NOT_RUN,
    NotExpressed,
    OdcsImportError,
    PropertyColumn,
    Report,
    column_dtype,
    custom_check,
    none_allowed,
    read_property,
    rule_label,
    rule_metric,
)

DEFAULT_VERSION = "0.1.0"
TIMESTAMP_PROPERTY = "timestampColumn"
COMPATIBILITIES = ("BACKWARD", "FORWARD", "FULL", "NONE")

_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_FRESHNESS = ("freshness", "latency", "ly")

_TOP_USED = {"apiVersion", "kind", "name", "version", "description", "schema", "team", "tags", "slaProperties",
             "slaDefaultElement", "customProperties"}
_OBJECT_USED = {"name", "properties", "quality", "logicalType", "physicalType", "description", "customProperties"}


@dataclass
class Imported:
    """The contract and the report: columns as read, what is not expressed, what is ignored, decisions."""

    contract: Contract
    columns: list[dict[str, Any]]
    not_expressed: list[NotExpressed] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        c = self.contract
        return {"source": c.name, "version": c.version, "owner": c.owner, "compatibility": c.compatibility,
                "entity_columns": list(c.entity_columns), "timestamp_column": c.timestamp_column,
                "unique": list(c.schema.unique or []),
                "max_age_seconds": None if c.max_age is None else c.max_age.total_seconds(),
                "feature_ttl_seconds": None if c.feature_ttl is None else c.feature_ttl.total_seconds(),
                "columns": self.columns, "not_expressed": [asdict(n) for n in self.not_expressed],
                "ignored": self.ignored, "notes": self.notes}

    def lines(self) -> list[str]:
        c = self.contract
        out = [f"{c.name} {c.version}: keys {', '.join(c.entity_columns)}; event time {c.timestamp_column}; "
               f"one row per ({', '.join(c.schema.unique or [])}); max age {c.max_age or '-'}; "
               f"ttl {c.feature_ttl or '-'}"]
        for col in self.columns:
            checks = ", ".join(col["checks"]) or "no value checks"
            out.append(f"  {col['column']}: {col['dtype']}, {'nullable' if col['nullable'] else 'required'}"
                       f"{', unique' if col['unique'] else ''}; {checks}")
        out += [f"note: {n}" for n in self.notes]
        if self.not_expressed:
            out.append(f"NOT EXPRESSED ({len(self.not_expressed)}): the featureguard contract does not enforce")
            out += [f"  {n.where}: {n.rule} — {n.reason}" for n in self.not_expressed]
        if self.ignored:
            out.append("ignored (documentation with no place in a featureguard contract): " + ", ".join(self.ignored))
        return out


def parse_odcs(text: str, origin: str = "contract") -> dict[str, Any]:
    """The YAML (or JSON) document, checked to be ODCS v3."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OdcsImportError(f"{origin}: not YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise OdcsImportError(f"{origin}: not an ODCS contract (a mapping with apiVersion, kind, schema)")
    api = str(doc.get("apiVersion", ""))
    if doc.get("kind", "DataContract") != "DataContract" or not api.startswith("v3."):
        raise OdcsImportError(f"{origin}: not an ODCS v3 DataContract (apiVersion {api or 'missing'!r}, "
                              f"kind {doc.get('kind')!r}); v3.0.x and v3.1.0 are read")
    if not isinstance(doc.get("schema"), list) or not doc["schema"]:
        raise OdcsImportError(f"{origin}: the contract has no schema objects")
    return doc


# ------------------------------------------------------------------ the contract


def _custom(entries: Any) -> dict[str, Any]:
    return {str(e.get("property")): e.get("value") for e in entries or [] if isinstance(e, dict)}


def _pick_object(doc: dict[str, Any], name: str | None) -> dict[str, Any]:
    objects = [o for o in doc["schema"] if isinstance(o, dict)]
    names = [str(o.get("name")) for o in objects]
    if name is not None:
        for obj in objects:
            if obj.get("name") == name:
                return obj
        raise OdcsImportError(f"no schema object {name!r}; the contract has {', '.join(names)}")
    if len(objects) != 1:
        raise OdcsImportError(f"the contract has {len(objects)} schema objects ({', '.join(names)}); "
                              "name one with --object")
    return objects[0]


def _primary_key(props: list[dict[str, Any]]) -> list[str]:
    def position(item: tuple[int, dict[str, Any]]) -> tuple[bool, int, int]:
        at = int(item[1].get("primaryKeyPosition", -1))
        return at < 0, at, item[0]  # positioned keys first, then the rest in listed order

    return [str(p["name"]) for _, p in sorted(((i, p) for i, p in enumerate(props) if p.get("primaryKey")),
                                              key=position)]


def _event_time(columns: dict[str, PropertyColumn], pk: list[str], custom: dict[str, Any],
                chosen: str | None) -> str:
    stamps = [n for n, c in columns.items() if c.logical == "timestamp"]
    name = chosen or custom.get(TIMESTAMP_PROPERTY)
    if name is None:
        keyed = [n for n in pk if n in stamps]
        if len(keyed) != 1:
            raise OdcsImportError(
                "the event time is not stated (no featureguard timestampColumn custom property, "
                f"{'no' if not keyed else 'several'} timestamp column in the primary key); "
                f"give --timestamp COL (timestamp columns: {', '.join(stamps) or 'none'})")
        name = keyed[0]
    if name not in columns:
        raise OdcsImportError(f"event time column {name!r} is not a property; properties: {', '.join(columns)}")
    if columns[name].logical != "timestamp":
        raise OdcsImportError(f"event time column {name!r} is logicalType {columns[name].logical}, not timestamp: "
                              "featureguard's event time is a UTC timestamp")
    return str(name)


def _duration(entry: dict[str, Any]) -> timedelta | None:
    value, unit = entry.get("value"), entry.get("unit")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and unit is not None:
        seconds = _UNITS.get(str(unit).strip().lower())
        return None if seconds is None else timedelta(seconds=float(value) * seconds)
    if isinstance(value, str) and unit is None:
        try:
            return pd.Timedelta(value).to_pytimedelta()
        except ValueError:
            return None
    return None


def _max_age(doc: dict[str, Any], obj_name: str, timestamp: str, report: Report) -> timedelta | None:
    found: list[timedelta] = []
    default_element = doc.get("slaDefaultElement")
    for i, entry in enumerate(doc.get("slaProperties") or []):
        prop = str(entry.get("property", "")).lower()
        where = f"slaProperties[{i}]"
        if prop not in _FRESHNESS:
            report.lost(where, f"{entry.get('property')} {entry.get('value')!r} {entry.get('unit') or ''}".strip(),
                        "only freshness/latency (as max_age) is an SLA featureguard checks")
            continue
        age = _duration(entry)
        if age is None:
            report.lost(where, f"{prop} {entry.get('value')!r} {entry.get('unit') or ''}".strip(),
                        "unit not a fixed duration (s, min, h, d, w) or value not a number")
            continue
        element = str(entry.get("element") or default_element or "")
        measured = element.split(",")[0].strip().split(".")[-1] if element else timestamp
        if measured and measured not in (timestamp, obj_name):
            report.notes.append(f"{where}: ODCS measures {prop} on {element}; max_age is measured on the event time "
                                f"{timestamp}")
        found.append(age)
    if len(found) > 1:
        report.notes.append(f"{len(found)} freshness/latency SLAs: max_age is the strictest, {min(found)}")
    return min(found) if found else None


def _owner(team: Any, report: Report) -> str:
    if isinstance(team, list):  # 3.0: the team is a list of members
        members = team
    else:
        members = (team.get("members") if isinstance(team, dict) else None) or []
    for m in members:
        if isinstance(m, dict) and str(m.get("role", "")).lower() == "owner" and (m.get("username") or m.get("name")):
            return str(m.get("username") or m.get("name"))
    if isinstance(team, dict) and team.get("name"):
        return str(team["name"])
    report.notes.append(f"no team owner: owner is a placeholder ({OWNER_PLACEHOLDER})")
    return OWNER_PLACEHOLDER


def _version(value: Any, report: Report) -> str:
    text = str(value or "")
    if re.fullmatch(r"\d+(\.\d+){0,2}", text):
        return ".".join((text.split(".") + ["0", "0"])[:3])
    report.notes.append(f"version {text or 'missing'!r} is not MAJOR.MINOR.PATCH: {DEFAULT_VERSION}")
    return DEFAULT_VERSION


def _description(doc: dict[str, Any], obj: dict[str, Any], report: Report) -> str:
    desc = doc.get("description")
    if isinstance(desc, dict):
        report.unused("description", desc, {"purpose"} if desc.get("purpose") else {"usage"})
        text = desc.get("purpose") or desc.get("usage")
    else:
        text = desc
    return str(text or obj.get("description") or f"{obj.get('name')}: imported from ODCS")


def _tags(tags: Any) -> dict[str, str]:
    out = {}
    for tag in tags or []:
        key, _, value = str(tag).partition(":")
        out[key] = value
    return out


def _frame_rules(obj: dict[str, Any], unique: list[str], report: Report) -> list[str]:
    """Schema-level rules: a no-duplicates rule may state the row identity; the rest is reported."""
    for rule in obj.get("quality") or []:
        label, where = rule_label(rule), f"schema.{obj.get('name')}.quality[{rule_label(rule)}]"
        columns = list((rule.get("arguments") or {}).get("properties") or [])
        if rule.get("type", "library") == "library" and rule_metric(rule) == "duplicateValues" and columns \
                and none_allowed(rule):
            if not unique:
                unique = columns
            elif set(columns) != set(unique):
                report.lost(where, label, f"one row per ({', '.join(columns)}) besides the primary key "
                            f"({', '.join(unique)}): a contract states one row identity")
            continue
        if rule.get("type") == "custom":
            reason = custom_check(rule, None)[1]
        elif rule_metric(rule) == "rowCount":
            reason = "a rule on the batch's size; the gate judges rows"
        else:
            reason = NOT_RUN.get(rule.get("type"), "not a per-row rule featureguard can check")
        report.lost(where, label, reason)
    return unique


def import_odcs(doc: dict[str, Any], *, object_name: str | None = None, source: str | None = None,
                timestamp: str | None = None, keys: list[str] | None = None) -> Imported:
    """The featureguard contract an ODCS v3 document states (``parse_odcs`` reads the text)."""
    report = Report()
    obj = _pick_object(doc, object_name)
    where_obj = f"schema.{obj.get('name')}"
    props = [p for p in obj.get("properties") or [] if isinstance(p, dict)]
    if not props or any("name" not in p for p in props):
        raise OdcsImportError(f"{where_obj}: every schema object needs properties, each with a name")
    names = [str(p["name"]) for p in props]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise OdcsImportError(f"{where_obj}: properties named twice: {twice}")
    columns = {str(p["name"]): read_property(p, f"{where_obj}.properties.{p['name']}", report) for p in props}
    custom = {**_custom(doc.get("customProperties")), **_custom(obj.get("customProperties"))}
    pk = _primary_key(props)
    ts = _event_time(columns, pk, custom, timestamp)
    entity = list(keys or [k for k in pk if k != ts])
    if not entity:
        raise OdcsImportError(f"{where_obj}: no entity key (no primaryKey besides the event time); give --key COL")
    missing = [k for k in entity if k not in columns]
    if missing:
        raise OdcsImportError(f"key columns {missing} are not properties; properties: {', '.join(columns)}")
    if custom.get("entityColumns") and list(custom["entityColumns"]) != entity:
        report.notes.append(f"customProperties entityColumns {custom['entityColumns']} differ from the keys "
                            f"used {entity}")
    unique = _frame_rules(obj, list(pk), report)
    if not unique:
        unique = [*entity, ts]
        report.notes.append(f"no primary key or duplicate rule: one row per ({', '.join(unique)})")
    for name in [*entity, ts]:
        col = columns[name]
        if col.nullable:
            report.notes.append(f"{name}: {'event time' if name == ts else 'entity key'} made required "
                                "(ODCS did not say required)")
            col.nullable = False
    for col in columns.values():
        col.dtype = column_dtype(col.prop, col.logical, col.nullable, col.where, report)
    compatibility = str(custom.get("compatibility") or "BACKWARD").upper()
    if compatibility not in COMPATIBILITIES:
        report.notes.append(f"compatibility {compatibility!r} unknown: BACKWARD")
        compatibility = "BACKWARD"
    ttl = custom.get("featureTtlSeconds")
    contract = make_contract(
        source or str(obj.get("name")), _version(doc.get("version"), report),
        owner=_owner(doc.get("team"), report), description=_description(doc, obj, report),
        entity_columns=entity, timestamp_column=ts, unique=unique,
        columns={n: pa.Column(c.dtype, c.checks, nullable=c.nullable, unique=c.unique, description=c.description)
                 for n, c in columns.items()},
        feature_ttl=None if ttl is None else timedelta(seconds=float(ttl)),
        max_age=_max_age(doc, str(obj.get("name")), ts, report),
        compatibility=compatibility,  # type: ignore[arg-type]
        tags=_tags(doc.get("tags")),
    )
    known_custom = {"compatibility", "entityColumns", "featureTtlSeconds", TIMESTAMP_PROPERTY}
    report.ignored += [f"customProperties.{k}" for k in custom if k not in known_custom]
    report.unused("", doc, _TOP_USED)
    report.unused(where_obj, obj, _OBJECT_USED)
    report.ignored = [i.lstrip(".") for i in report.ignored]
    described = [{"column": n, "dtype": c.dtype, "nullable": c.nullable, "unique": c.unique,
                  "checks": [_describe(k) for k in c.checks]} for n, c in columns.items()]
    return Imported(contract, described, report.not_expressed, report.ignored, report.notes)


def _describe(check: pa.Check) -> str:
    return f"{check.name} ({expectation(str(check.name), check.statistics)})"
