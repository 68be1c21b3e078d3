"""One ODCS v3 property as a contract column: its type, nullability, uniqueness and value checks.

A property states its rules in three places: ``logicalType`` (+ ``format``), ``logicalTypeOptions``
(ranges, pattern, lengths) and ``quality`` rules. Each is either rebuilt as a pandera check or
reported (``Report.lost``) with the reason, so nothing is dropped in silence. The schema-level
rules reuse the rule readers here (``rule_metric``, ``none_allowed``, ``custom_check``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandera.pandas as pa

from featureguard.contracts.model import UTC_TIMESTAMP

#: pandera checks shipped with pandera: a ``custom``/``pandera`` rule naming one is rebuilt
_PANDERA_BUILTINS = frozenset({
    "equal_to", "not_equal_to", "greater_than", "greater_than_or_equal_to", "less_than",
    "less_than_or_equal_to", "in_range", "isin", "notin", "str_matches", "str_contains",
    "str_startswith", "str_endswith", "str_length",
})
_INT_FORMATS = {"i8": "int32", "i16": "int32", "i32": "int32", "u8": "int32", "u16": "int32",
                "i64": "int64", "u32": "int64"}
_SQL_TYPES = [(r"char|text|string|varchar|uuid", "string"), (r"bigint|int|long|short|tinyint", "integer"),
              (r"double|float|real|decimal|numeric|number", "number"), (r"bool", "boolean"),
              (r"timestamp|datetime", "timestamp"), (r"^date$", "date")]
_V30_RULES = {"nullCheck": "nullValues", "duplicateCount": "duplicateValues", "validValues": "invalidValues",
              "rowCount": "rowCount", "countCheck": "rowCount"}
NOT_RUN = {"text": "a rule in words, not executable", "sql": "featureguard contracts run no SQL"}
#: property fields this module reads; any other field is reported as ignored documentation
_PROPERTY_USED = {"name", "logicalType", "logicalTypeOptions", "physicalType", "required", "unique", "primaryKey",
                  "primaryKeyPosition", "quality", "description", "relationships", "items", "properties"}


class OdcsImportError(ValueError):
    """The document is not an ODCS v3 contract, or it does not say enough to build a contract."""


@dataclass
class NotExpressed:
    """A rule ODCS states that the featureguard contract will not enforce."""

    where: str
    rule: str
    reason: str


class Report:
    """What an import could not carry over (``not_expressed``, ``ignored``) and what it decided (``notes``)."""

    def __init__(self) -> None:
        self.not_expressed: list[NotExpressed] = []
        self.ignored: list[str] = []
        self.notes: list[str] = []

    def lost(self, where: str, rule: str, reason: str) -> None:
        self.not_expressed.append(NotExpressed(where, rule, reason))

    def unused(self, where: str, entry: dict[str, Any], used: set[str]) -> None:
        self.ignored += [f"{where}.{k}" for k in entry if k not in used]


@dataclass
class PropertyColumn:
    """A property on its way to a pandera column; ``dtype`` is set once keys and event time are known."""

    name: str
    logical: str
    dtype: str
    nullable: bool
    unique: bool = False
    checks: list[pa.Check] = field(default_factory=list)
    description: str | None = None
    prop: dict[str, Any] = field(default_factory=dict)
    where: str = ""


def _logical(prop: dict[str, Any], where: str, report: Report) -> str:
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


def column_dtype(prop: dict[str, Any], logical: str, nullable: bool, where: str, report: Report) -> str:
    """The contract dtype: one the gate, the exports and Feast all know."""
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


def _options(col: PropertyColumn, options: dict[str, Any], where: str, report: Report) -> None:
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


def none_allowed(rule: dict[str, Any]) -> bool:
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


def rule_metric(rule: dict[str, Any]) -> str | None:
    legacy = rule.get("rule")  # 3.0's name of the metric
    return rule.get("metric") or (None if legacy is None else _V30_RULES.get(str(legacy), str(legacy)))


def rule_label(rule: dict[str, Any]) -> str:
    return str(rule.get("name") or rule.get("id") or rule_metric(rule) or rule.get("type") or "rule")


def custom_check(rule: dict[str, Any], column: str | None) -> tuple[pa.Check | None, str]:
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


def _property_rule(col: PropertyColumn, rule: dict[str, Any], where: str, report: Report) -> None:
    kind, metric, label = rule.get("type", "library"), rule_metric(rule), rule_label(rule)
    where = f"{where}.quality[{label}]"
    if kind == "custom":
        check, reason = custom_check(rule, col.name)
        if check is None:
            report.lost(where, label, reason)
        else:
            col.checks.append(check)
        return
    if kind in ("text", "sql") or not metric:
        report.lost(where, label, NOT_RUN.get(kind, "a library rule without a metric"))
        return
    if metric not in ("nullValues", "missingValues", "invalidValues", "duplicateValues"):
        report.lost(where, label, f"metric {metric!r} is not a per-row rule")
        return
    if not none_allowed(rule):
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


def read_property(prop: dict[str, Any], where: str, report: Report) -> PropertyColumn:
    """Type family, nullability, uniqueness and checks of one property; the rest goes to ``report``."""
    name = str(prop["name"])
    logical = _logical(prop, where, report)
    nullable = not bool(prop.get("required", False))
    col = PropertyColumn(name, logical, "", nullable, bool(prop.get("unique", False)),
                         description=prop.get("description"), prop=prop, where=where)
    _options(col, dict(prop.get("logicalTypeOptions") or {}), where, report)
    for rule in prop.get("quality") or []:
        _property_rule(col, rule, where, report)
    if prop.get("relationships"):
        report.lost(f"{where}.relationships", "relationships", "references to other objects are not checked")
    for key in ("items", "properties"):
        if key in prop:
            report.lost(f"{where}.{key}", key, "nested properties are not checked")
    report.unused(where, prop, _PROPERTY_USED)
    return col
