"""An ODCS v3 data contract (Open Data Contract Standard 3.0.x / 3.1.0) as a featureguard Contract.

Taken from ODCS, where it states them: each property's type (``logicalType`` and its ``format``;
our own exporter's pandas ``physicalType`` when it names one), ``required`` (nullability),
``unique``, ``primaryKey`` (the entity keys and the row identity), ``logicalTypeOptions`` (ranges,
pattern, string lengths), the library quality rules that allow no bad row (``nullValues``,
``missingValues``, ``invalidValues`` with ``validValues`` or ``pattern``, ``duplicateValues``; also
3.0's ``rule:`` names), pandera custom rules that are pandera built-ins, and the SLA's
``freshness``/``latency`` as ``max_age``.

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

from contracts.infer import OWNER_PLACEHOLDER
from contracts.model import UTC_TIMESTAMP, Contract

DEFAULT_VERSION = "0.1.0"
TIMESTAMP_PROPERTY = "timestampColumn"
COMPATIBILITIES = ("BACKWARD", "FORWARD", "FULL", "NONE")

#: pandera checks shipped with pandera: a ``custom``/``pandera`` rule naming one is rebuilt
_PANDERA_BUILTINS = frozenset({
    "equal_to", "not_equal_to", "greater_than", "greater_than_or_equal_to", "less_than",
    "less_than_or_equal_to", "in_range", "isin", "notin", "str_matches", "str_contains",
    "str_startswith", "str_endswith", "str_length",
})
_PANDAS_DTYPES = {"float64", "float32", "int64", "int32", "Int64", "Int32", "bool", "boolean", "str", "string",
                  str(UTC_TIMESTAMP)}
_INT_FORMATS = {"i8": "int32", "i16": "int32", "i32": "int32", "u8": "int32", "u16": "int32",
                "i64": "int64", "u32": "int64"}
_SQL_TYPES = [(r"char|text|string|varchar|uuid", "string"), (r"bigint|int|long|short|tinyint", "integer"),
              (r"double|float|real|decimal|numeric|number", "number"), (r"bool", "boolean"),
              (r"timestamp|datetime", "timestamp"), (r"^date$", "date")]
_V30_RULES = {"nullCheck": "nullValues", "duplicateCount": "duplicateValues", "validValues": "invalidValues",
              "rowCount": "rowCount", "countCheck": "rowCount"}
_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_FRESHNESS = ("freshness", "latency", "ly")
_NOT_RUN = {"text": "a rule in words, not executable", "sql": "featureguard contracts run no SQL"}

_TOP_USED = {"apiVersion", "kind", "name", "version", "description", "schema", "team", "tags", "slaProperties",
             "slaDefaultElement", "customProperties"}
_OBJECT_USED = {"name", "properties", "quality", "logicalType", "physicalType", "description", "customProperties"}
_PROPERTY_USED = {"name", "logicalType", "logicalTypeOptions", "physicalType", "required", "unique", "primaryKey",
                  "primaryKeyPosition", "quality", "description"}


class OdcsImportError(ValueError):
    """The document is not an ODCS v3 contract, or it does not say enough to build a contract."""


@dataclass
class NotExpressed:
    """A rule ODCS states that the featureguard contract will not enforce."""

    where: str
    rule: str
    reason: str


@dataclass
class Imported:
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


# ------------------------------------------------------------------ one property


class _Report:
    def __init__(self) -> None:
        self.not_expressed: list[NotExpressed] = []
        self.ignored: list[str] = []
        self.notes: list[str] = []

    def lost(self, where: str, rule: str, reason: str) -> None:
        self.not_expressed.append(NotExpressed(where, rule, reason))

    def unused(self, where: str, entry: dict[str, Any], used: set[str]) -> None:
        self.ignored += [f"{where}.{k}" for k in entry if k not in used]


@dataclass
class _Column:
    name: str
    logical: str
    dtype: str
    nullable: bool
    unique: bool = False
    checks: list[pa.Check] = field(default_factory=list)
    description: str | None = None
    prop: dict[str, Any] = field(default_factory=dict)
    where: str = ""


def _logical(prop: dict[str, Any], where: str, report: _Report) -> str:
    logical = prop.get("logicalType")
    if logical:
        return str(logical)
    physical = str(prop.get("physicalType") or "").lower()
    if physical in ("float64", "float32"):
        return "number"
    for pattern, name in _SQL_TYPES:
        if physical and re.search(pattern, physical):
            report.notes.append(f"{where}: no logicalType; {name} from physicalType {prop.get('physicalType')!r}")
            return name
    report.notes.append(f"{where}: no logicalType or known physicalType: typed as text")
    return "string"


def _dtype(prop: dict[str, Any], logical: str, nullable: bool, where: str, report: _Report) -> str:
    physical = str(prop.get("physicalType") or "")
    options = prop.get("logicalTypeOptions") or {}
    if logical == "integer":
        fmt = str(options.get("format") or "")
        dtype = physical if physical in ("int64", "int32", "Int64", "Int32") else _INT_FORMATS.get(fmt, "int64")
        if fmt and fmt not in _INT_FORMATS:
            report.lost(f"{where}.logicalTypeOptions.format", str(fmt), "integers beyond int64's range are not read")
        dtype = dtype.lower()
        return dtype.capitalize() if nullable else dtype  # a nullable integer column is pandas Int64/Int32
    if logical == "number":
        return "float32" if options.get("format") == "f32" or physical == "float32" else "float64"
    if logical == "boolean":
        return "boolean"  # pandas' nullable boolean: coercing to numpy bool would turn nulls and "False" into True
    if logical == "timestamp":
        return str(UTC_TIMESTAMP)
    if logical in ("date", "time"):
        report.lost(where, f"logicalType {logical}", "no date/time-of-day type in a featureguard contract: "
                    "kept as text, values not checked to be dates")
        return "str"
    if logical in ("object", "array"):
        report.lost(where, f"logicalType {logical}", "nested values: kept as an unchecked object column")
        return "object"
    if logical != "string":
        report.notes.append(f"{where}: unknown logicalType {logical!r}: typed as text")
    return "str"


def _bound(options: dict[str, Any], inclusive: str, exclusive: str) -> tuple[Any, bool] | None:
    """A bound as (value, inclusive); 3.0's boolean exclusiveMinimum/Maximum qualifies ``minimum``."""
    value, excl = options.get(inclusive), options.get(exclusive)
    for bound in (value, None if isinstance(excl, bool) else excl):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
            raise OdcsImportError(f"{inclusive}/{exclusive} must be numbers, got {bound!r}")
    if isinstance(excl, bool):
        return None if value is None else (value, not excl)
    candidates = [(v, inc) for v, inc in ((value, True), (excl, False)) if v is not None]
    if not candidates:
        return None
    tighter = max if inclusive == "minimum" else min
    best = tighter(v for v, _ in candidates)
    return best, all(inc for v, inc in candidates if v == best)


def _range_check(low: tuple[Any, bool] | None, high: tuple[Any, bool] | None) -> pa.Check | None:
    if low and high:
        return pa.Check.in_range(low[0], high[0], include_min=low[1], include_max=high[1])
    if low:
        return pa.Check.ge(low[0]) if low[1] else pa.Check.gt(low[0])
    if high:
        return pa.Check.le(high[0]) if high[1] else pa.Check.lt(high[0])
    return None


def _pattern_check(pattern: str) -> pa.Check:
    """ODCS patterns search (ECMA-262 semantics); pandera's str_matches anchors at the start."""
    return pa.Check.str_matches(pattern) if pattern.startswith("^") else pa.Check.str_contains(pattern)


def _options(col: _Column, options: dict[str, Any], where: str, report: _Report) -> None:
    where = f"{where}.logicalTypeOptions"
    used: set[str] = set()
    if col.logical in ("integer", "number"):
        check = _range_check(_bound(options, "minimum", "exclusiveMinimum"),
                             _bound(options, "maximum", "exclusiveMaximum"))
        if check is not None:
            col.checks.append(check)
        used |= {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "format"}
    elif col.logical == "string":
        if options.get("minLength") is not None or options.get("maxLength") is not None:
            col.checks.append(pa.Check.str_length(options.get("minLength"), options.get("maxLength")))
        if options.get("pattern"):
            col.checks.append(_pattern_check(str(options["pattern"])))
        used |= {"minLength", "maxLength", "pattern"}
    elif col.logical == "timestamp":
        used |= {"timezone", "defaultTimezone"}
        if options.get("timezone") is False:
            report.lost(f"{where}.timezone", "timezone: false", "ODCS accepts timestamps without a zone (default "
                        f"{options.get('defaultTimezone', 'Etc/UTC')}); featureguard rejects values without an offset")
        if options.get("format"):
            report.lost(f"{where}.format", str(options["format"]), "featureguard reads ISO-8601 with an offset only")
            used.add("format")
    for key in options:
        if key not in used:
            report.lost(f"{where}.{key}", f"{key}: {options[key]!r}", "no such check in a featureguard contract")


def _none_allowed(rule: dict[str, Any]) -> bool:
    """True when the rule's operator allows no bad row at all (no operator: 3.0's plain rules)."""
    unit = str(rule.get("unit", "rows")).lower()
    ops = {k: rule[k] for k in ("mustBe", "mustBeLessThan", "mustBeLessOrEqualTo", "mustBeBetween", "mustNotBe",
                                "mustBeGreaterThan", "mustBeGreaterOrEqualTo", "mustNotBeBetween") if k in rule}
    if not ops:
        return True
    if list(ops) == ["mustBe"]:
        return ops["mustBe"] == 0
    if list(ops) == ["mustBeLessOrEqualTo"]:
        return ops["mustBeLessOrEqualTo"] == 0
    if list(ops) == ["mustBeLessThan"]:
        return unit == "rows" and 0 < ops["mustBeLessThan"] <= 1
    if list(ops) == ["mustBeBetween"]:
        return list(ops["mustBeBetween"]) == [0, 0]
    return False


def _metric(rule: dict[str, Any]) -> str | None:
    legacy = rule.get("rule")  # 3.0's name of the metric
    return rule.get("metric") or (None if legacy is None else _V30_RULES.get(str(legacy), str(legacy)))


def _rule_label(rule: dict[str, Any]) -> str:
    return str(rule.get("name") or rule.get("id") or _metric(rule) or rule.get("type") or "rule")


def _custom_check(rule: dict[str, Any], column: str | None) -> tuple[pa.Check | None, str]:
    """A pandera custom rule rebuilt when it names a pandera built-in check; else why not."""
    impl = rule.get("implementation")
    if str(rule.get("engine", "")).lower() != "pandera" or not isinstance(impl, dict):
        return None, f"custom rule for engine {rule.get('engine')!r}: featureguard runs pandera checks only"
    name = str(impl.get("check", ""))
    if not name:
        return None, "pandera rule without a check name"
    if name not in _PANDERA_BUILTINS:
        return None, f"pandera check {name!r} is defined by its contract's own code, not by the ODCS document"
    if column is None:
        return None, f"pandera check {name!r} over the whole frame: only column checks are rebuilt"
    stats = {k: v for k, v in dict(impl.get("statistics") or {}).items() if v is not None}
    try:
        return getattr(pa.Check, name)(**stats), ""
    except (TypeError, ValueError) as exc:
        return None, f"pandera check {name} with {stats}: {exc}"


def _property_rule(col: _Column, rule: dict[str, Any], where: str, report: _Report) -> None:
    kind, metric, label = rule.get("type", "library"), _metric(rule), _rule_label(rule)
    where = f"{where}.quality[{label}]"
    if kind == "custom":
        check, reason = _custom_check(rule, col.name)
        if check is None:
            report.lost(where, label, reason)
        else:
            col.checks.append(check)
        return
    if kind in ("text", "sql") or not metric:
        report.lost(where, label, _NOT_RUN.get(kind, "a library rule without a metric"))
        return
    if metric not in ("nullValues", "missingValues", "invalidValues", "duplicateValues"):
        report.lost(where, label, f"metric {metric!r} is not a per-row rule")
        return
    if not _none_allowed(rule):
        report.lost(where, label, "a tolerance over the whole batch; the gate judges each row "
                    "(every bad row is rejected)")
        return
    args = dict(rule.get("arguments") or {})
    if "validValues" in rule:  # 3.0: rule: validValues with the list beside it
        args["validValues"] = rule["validValues"]
    if metric == "nullValues":
        col.nullable = False
    elif metric == "duplicateValues":
        col.unique = True
    elif metric == "missingValues":
        markers = list(args.get("missingValues") or [None])
        if None in markers:
            col.nullable = False
        others = [m for m in markers if m is not None]
        if others:
            col.checks.append(pa.Check.notin(others))
    elif "validValues" in args or "pattern" in args:
        if "validValues" in args:
            col.checks.append(pa.Check.isin([v for v in args["validValues"] if v is not None]))
        if args.get("pattern"):
            col.checks.append(_pattern_check(str(args["pattern"])))
    else:
        report.lost(where, label, "invalidValues without validValues or pattern")


def _column(prop: dict[str, Any], where: str, report: _Report) -> _Column:
    name = str(prop["name"])
    logical = _logical(prop, where, report)
    nullable = not bool(prop.get("required", False))
    col = _Column(name, logical, "", nullable, bool(prop.get("unique", False)), description=prop.get("description"),
                  prop=prop, where=where)
    _options(col, dict(prop.get("logicalTypeOptions") or {}), where, report)
    for rule in prop.get("quality") or []:
        _property_rule(col, rule, where, report)
    if prop.get("relationships"):
        report.lost(f"{where}.relationships", "relationships", "references to other objects are not checked")
    for key in ("items", "properties"):
        if key in prop:
            report.lost(f"{where}.{key}", key, "nested properties are not checked")
    report.unused(where, prop, _PROPERTY_USED | {"relationships", "items", "properties"})
    return col


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


def _event_time(columns: dict[str, _Column], pk: list[str], custom: dict[str, Any], chosen: str | None) -> str:
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


def _max_age(doc: dict[str, Any], obj_name: str, timestamp: str, report: _Report) -> timedelta | None:
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


def _owner(team: Any, report: _Report) -> str:
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


def _version(value: Any, report: _Report) -> str:
    text = str(value or "")
    if re.fullmatch(r"\d+(\.\d+){0,2}", text):
        return ".".join((text.split(".") + ["0", "0"])[:3])
    report.notes.append(f"version {text or 'missing'!r} is not MAJOR.MINOR.PATCH: {DEFAULT_VERSION}")
    return DEFAULT_VERSION


def _description(doc: dict[str, Any], obj: dict[str, Any], report: _Report) -> str:
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


def _frame_rules(obj: dict[str, Any], unique: list[str], report: _Report) -> list[str]:
    """Schema-level rules: a no-duplicates rule may state the row identity; the rest is reported."""
    for rule in obj.get("quality") or []:
        label, where = _rule_label(rule), f"schema.{obj.get('name')}.quality[{_rule_label(rule)}]"
        columns = list((rule.get("arguments") or {}).get("properties") or [])
        if rule.get("type", "library") == "library" and _metric(rule) == "duplicateValues" and columns \
                and _none_allowed(rule):
            if not unique:
                unique = columns
            elif set(columns) != set(unique):
                report.lost(where, label, f"one row per ({', '.join(columns)}) besides the primary key "
                            f"({', '.join(unique)}): a contract states one row identity")
            continue
        if rule.get("type") == "custom":
            reason = _custom_check(rule, None)[1]
        elif _metric(rule) == "rowCount":
            reason = "a rule on the batch's size; the gate judges rows"
        else:
            reason = _NOT_RUN.get(rule.get("type"), "not a per-row rule featureguard can check")
        report.lost(where, label, reason)
    return unique


def import_odcs(doc: dict[str, Any], *, object_name: str | None = None, source: str | None = None,
                timestamp: str | None = None, keys: list[str] | None = None) -> Imported:
    """The featureguard contract an ODCS v3 document states (``parse_odcs`` reads the text)."""
    report = _Report()
    obj = _pick_object(doc, object_name)
    where_obj = f"schema.{obj.get('name')}"
    props = [p for p in obj.get("properties") or [] if isinstance(p, dict)]
    if not props or any("name" not in p for p in props):
        raise OdcsImportError(f"{where_obj}: every schema object needs properties, each with a name")
    names = [str(p["name"]) for p in props]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise OdcsImportError(f"{where_obj}: properties named twice: {twice}")
    columns = {str(p["name"]): _column(p, f"{where_obj}.properties.{p['name']}", report) for p in props}
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
        col.dtype = _dtype(col.prop, col.logical, col.nullable, col.where, report)
    schema = pa.DataFrameSchema(
        {n: pa.Column(c.dtype, c.checks, nullable=c.nullable, unique=c.unique, description=c.description)
         for n, c in columns.items()},
        unique=unique, report_duplicates="all", strict=True, coerce=True, name=source or str(obj.get("name")))
    compatibility = str(custom.get("compatibility") or "BACKWARD").upper()
    if compatibility not in COMPATIBILITIES:
        report.notes.append(f"compatibility {compatibility!r} unknown: BACKWARD")
        compatibility = "BACKWARD"
    ttl = custom.get("featureTtlSeconds")
    contract = Contract(
        name=source or str(obj.get("name")), version=_version(doc.get("version"), report),
        owner=_owner(doc.get("team"), report), description=_description(doc, obj, report),
        entity_columns=tuple(entity), timestamp_column=ts, schema=schema,
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
    from contracts.describe import expectation

    return f"{check.name} ({expectation(str(check.name), check.statistics)})"
