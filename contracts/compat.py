"""Compatibility of two contract versions, with Confluent Schema Registry's modes (pure logic).

Every change is judged in two directions:

- ``backward``: data accepted under the OLD contract is still valid under the NEW one, so the
  stored partitions and the consumers built from the new contract can read everything kept so
  far (Schema Registry's BACKWARD: new readers, old data).
- ``forward``: data accepted under the NEW contract is still what consumers built from the OLD
  one expect (FORWARD: old readers, new data).

A mode asks for one direction (BACKWARD, FORWARD), both (FULL) or none (NONE); a change that
fails the asked direction is ``breaking``, one that passes is ``compatible``, and one that
cannot change any row's verdict or any consumer (owner, description, SLA) is ``info``.
Removing a column a feature view serves, changing its type, or changing the entity key or
event-timestamp columns breaks consumers whatever the data does, so those fail both directions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Literal

from featureguard.contracts.snapshot import ColumnFacts, ContractFacts

Mode = Literal["BACKWARD", "FORWARD", "FULL", "NONE"]
MODES: tuple[str, ...] = ("BACKWARD", "FORWARD", "FULL", "NONE")
Klass = Literal["breaking", "compatible", "info"]

#: (needs backward, needs forward) per mode
_NEEDS = {"BACKWARD": (True, False), "FORWARD": (False, True), "FULL": (True, True), "NONE": (False, False)}

_LOWER = {"greater_than_or_equal_to": True, "greater_than": False}
_UPPER = {"less_than_or_equal_to": True, "less_than": False}
_PATTERNS = ("str_matches", "str_contains", "str_startswith", "str_endswith")


@dataclass(frozen=True)
class Change:
    kind: str
    subject: str  # a column, or a contract field such as entity_columns
    old: Any
    new: Any
    backward: bool
    forward: bool
    reason: str
    info: bool = False

    def klass(self, mode: str) -> Klass:
        if self.info:
            return "info"
        needs_backward, needs_forward = _NEEDS[mode]
        if (needs_backward and not self.backward) or (needs_forward and not self.forward):
            return "breaking"
        return "compatible"


# ------------------------------------------------------------------ versions


def parse_version(version: str) -> tuple[int, int, int]:
    """``MAJOR.MINOR.PATCH`` (missing parts are 0; a pre-release/build suffix is ignored)."""
    core = version.split("+", 1)[0].split("-", 1)[0]
    try:
        parts = [int(p) for p in core.split(".")]
    except ValueError:
        raise ValueError(f"version {version!r} is not MAJOR.MINOR.PATCH") from None
    if not parts or len(parts) > 3 or any(p < 0 for p in parts):
        raise ValueError(f"version {version!r} is not MAJOR.MINOR.PATCH")
    return tuple((parts + [0, 0])[:3])  # type: ignore[return-value]


def bump(old: str, new: str) -> str:
    """``major``, ``minor``, ``patch``, ``none`` or ``downgrade``."""
    a, b = parse_version(old), parse_version(new)
    if b == a:
        return "none"
    if b < a:
        return "downgrade"
    return "major" if b[0] > a[0] else "minor" if b[1] > a[1] else "patch"


# ------------------------------------------------------------------ value domains


@dataclass(frozen=True)
class Interval:
    """A closed/open numeric interval; ``None`` bounds are unbounded."""

    lo: float | None = None
    lo_inc: bool = True
    hi: float | None = None
    hi_inc: bool = True

    def contains(self, other: "Interval") -> bool:
        return _lower_le(self, other) and _upper_ge(self, other)

    def text(self) -> str:
        if self.lo is None and self.hi is None:
            return "any value"
        lo = "(-inf" if self.lo is None else ("[" if self.lo_inc else "(") + repr(self.lo)
        hi = "inf)" if self.hi is None else repr(self.hi) + ("]" if self.hi_inc else ")")
        return f"{lo}, {hi}"


def _lower_le(a: Interval, b: Interval) -> bool:
    """a's lower bound admits at least what b's does."""
    if a.lo is None:
        return True
    if b.lo is None:
        return False
    return a.lo < b.lo or (a.lo == b.lo and (a.lo_inc or not b.lo_inc))


def _upper_ge(a: Interval, b: Interval) -> bool:
    if a.hi is None:
        return True
    if b.hi is None:
        return False
    return a.hi > b.hi or (a.hi == b.hi and (a.hi_inc or not b.hi_inc))


def _intersect(a: Interval, b: Interval) -> Interval:
    lo, lo_inc = (a.lo, a.lo_inc) if not _lower_le(a, b) else (b.lo, b.lo_inc)
    hi, hi_inc = (a.hi, a.hi_inc) if not _upper_ge(a, b) else (b.hi, b.hi_inc)
    return Interval(lo, lo_inc, hi, hi_inc)


def value_interval(checks: dict[str, dict[str, Any]]) -> Interval:
    """The values a column's range checks admit together."""
    out = Interval()
    for name, stats in checks.items():
        if name == "in_range":
            part = Interval(stats.get("min_value"), stats.get("include_min", True),
                            stats.get("max_value"), stats.get("include_max", True))
        elif name in _LOWER:
            part = Interval(lo=stats.get("min_value"), lo_inc=_LOWER[name])
        elif name in _UPPER:
            part = Interval(hi=stats.get("max_value"), hi_inc=_UPPER[name])
        elif name == "equal_to":
            part = Interval(stats.get("value"), True, stats.get("value"), True)
        else:
            continue
        out = _intersect(out, part)
    return out


def length_interval(checks: dict[str, dict[str, Any]]) -> Interval:
    stats = checks.get("str_length")
    if not stats:
        return Interval()
    if stats.get("exact_value") is not None:
        return Interval(stats["exact_value"], True, stats["exact_value"], True)
    return Interval(stats.get("min_value"), True, stats.get("max_value"), True)


_RANGE_CHECKS = {"in_range", "equal_to", *_LOWER, *_UPPER}
_HANDLED = {*_RANGE_CHECKS, "str_length", "isin", "notin"}


# ------------------------------------------------------------------ comparisons


def _domain_change(kind: str, column: str, old: Any, new: Any, widened: bool, narrowed: bool, what: str) -> Change:
    """A change of the admitted values: narrowing fails backward, widening fails forward."""
    if narrowed and not widened:
        return Change(f"{kind}_narrowed", column, old, new, False, True,
                      f"{what} narrowed: rows accepted before can now be rejected")
    if widened and not narrowed:
        return Change(f"{kind}_widened", column, old, new, True, False,
                      f"{what} widened: consumers of the old contract can receive values it ruled out")
    return Change(f"{kind}_changed", column, old, new, False, False,
                  f"{what} changed: neither version's values are a subset of the other's")


def _interval_change(kind: str, column: str, old: Interval, new: Interval, what: str) -> Change | None:
    if old == new:
        return None
    return _domain_change(kind, column, old.text(), new.text(), new.contains(old), old.contains(new), what)


def _set_change(column: str, old: dict, new: dict) -> Change | None:
    """isin: allowed values; a missing isin admits everything."""
    a = old.get("isin", {}).get("allowed_values")
    b = new.get("isin", {}).get("allowed_values")
    if a == b or (a is not None and b is not None and set(map(repr, a)) == set(map(repr, b))):
        return None
    wider = b is None or (a is not None and set(map(repr, a)) <= set(map(repr, b)))
    narrower = a is None or (b is not None and set(map(repr, b)) <= set(map(repr, a)))
    return _domain_change("allowed_values", column, a, b, wider, narrower, "allowed values")


def _forbidden_change(column: str, old: dict, new: dict) -> Change | None:
    a = set(map(repr, old.get("notin", {}).get("forbidden_values") or []))
    b = set(map(repr, new.get("notin", {}).get("forbidden_values") or []))
    if a == b:
        return None
    return _domain_change("forbidden_values", column, sorted(a), sorted(b), b <= a, a <= b, "forbidden values")


def _other_checks(column: str, old: dict, new: dict) -> list[Change]:
    """Checks without a value-domain model (patterns, custom checks): compared by name and statistics."""
    changes = []
    for name in [*old, *(n for n in new if n not in old)]:
        if name in _HANDLED:
            continue
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        what = f"check {name}"
        if a is None:
            changes.append(Change("check_added", column, None, b or name, False, True,
                                  f"{what} added: rows accepted before can now be rejected"))
        elif b is None:
            changes.append(Change("check_removed", column, a or name, None, True, False,
                                  f"{what} removed: consumers can receive values it ruled out"))
        else:
            kind = "pattern_changed" if name in _PATTERNS else "check_changed"
            changes.append(Change(kind, column, a, b, False, False,
                                  f"{what} statistics changed: no subset relation can be shown"))
    return changes


def _column_changes(old: ColumnFacts, new: ColumnFacts) -> list[Change]:
    name = old.name
    if old.dtype != new.dtype:
        return [Change("dtype_changed", name, old.dtype, new.dtype, False, False,
                       "type changed: stored values and the Feast field type no longer match")]
    out: list[Change] = []
    if old.nullable != new.nullable:
        out.append(Change("nullable_relaxed", name, False, True, True, False,
                          "now nullable: consumers of the old contract can receive nulls")
                   if new.nullable else
                   Change("nullable_tightened", name, True, False, False, True,
                          "now non-nullable: stored rows with nulls no longer pass"))
    if old.required != new.required:
        out.append(Change("required_relaxed", name, True, False, True, False, "column may now be absent")
                   if not new.required else
                   Change("required_tightened", name, False, True, False, True,
                          "column now required: batches without it were accepted before"))
    if old.unique != new.unique:
        out.append(Change("unique_added", name, False, True, False, True, "values must now be unique")
                   if new.unique else Change("unique_removed", name, True, False, True, False,
                                             "values need no longer be unique"))
    for change in (
        _interval_change("range", name, value_interval(old.checks), value_interval(new.checks), "value range"),
        _interval_change("length", name, length_interval(old.checks), length_interval(new.checks), "string length"),
        _set_change(name, old.checks, new.checks),
        _forbidden_change(name, old.checks, new.checks),
    ):
        if change is not None:
            out.append(change)
    return out + _other_checks(name, old.checks, new.checks)


def _key_changes(old: ContractFacts, new: ContractFacts) -> list[Change]:
    out = []
    for field_name, why in (
        ("entity_columns", "entity key changed: online keys and point-in-time joins address other rows"),
        ("timestamp_column", "event timestamp changed: point-in-time joins order rows by another column"),
        ("created_timestamp_column", "created timestamp changed: ties between equal event times resolve differently"),
    ):
        a, b = getattr(old, field_name), getattr(new, field_name)
        if (tuple(a) if isinstance(a, (list, tuple)) else a) != (tuple(b) if isinstance(b, (list, tuple)) else b):
            out.append(Change(f"{field_name}_changed", field_name, a, b, False, False, why))
    if tuple(old.unique) != tuple(new.unique):
        out.append(Change("unique_changed", "unique", list(old.unique), list(new.unique), False, False,
                          "row identity (unique columns) changed"))
    return out


def _frame_check_changes(old: ContractFacts, new: ContractFacts) -> list[Change]:
    return [Change(c.kind.replace("check_", "frame_check_"), "(frame)", c.old, c.new, c.backward, c.forward, c.reason)
            for c in _other_checks("(frame)", old.frame_checks, new.frame_checks)]


def _info_changes(old: ContractFacts, new: ContractFacts) -> list[Change]:
    out = []
    if old.feature_ttl_seconds != new.feature_ttl_seconds:
        out.append(Change("feature_ttl_changed", "feature_ttl", old.feature_ttl_seconds, new.feature_ttl_seconds,
                          True, True, "point-in-time joins look back over a different window: "
                          "training frames change for the same entity rows"))
    for name, why in (("max_age_seconds", "freshness SLA changed"), ("compatibility", "compatibility mode changed"),
                      ("owner", "owner changed"), ("description", "description changed"), ("tags", "tags changed"),
                      ("strict", "strictness changed: extra columns are dropped before storage either way"),
                      ("coerce", "coercion changed: parsing only")):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out.append(Change(f"{name}_changed", name, a, b, True, True, why, info=True))
    return out


def diff_facts(old: ContractFacts, new: ContractFacts, used_columns: Iterable[str] | None = None) -> list[Change]:
    """Every change from ``old`` to ``new``. ``used_columns``: columns feature views read (default:
    every feature column of ``old``, as the repo's views are built from the contract)."""
    used = set(old.feature_columns if used_columns is None else used_columns)
    changes = _key_changes(old, new)
    for name, column in old.columns.items():
        if name not in new.columns:
            if name in used:
                changes.append(Change("column_removed", name, column.dtype, None, False, False,
                                      "removed, but a feature view serves it: training and serving lose the feature"))
            else:
                changes.append(Change("column_removed", name, column.dtype, None, True, column.nullable,
                                      "removed; no feature view reads it" +
                                      ("" if column.nullable else ", but old consumers expect a value in every row")))
        else:
            changes.extend(_column_changes(column, new.columns[name]))
    for name, column in new.columns.items():
        if name in old.columns:
            continue
        if column.nullable or not column.required:
            changes.append(Change("column_added", name, None, column.dtype, True, True,
                                  "nullable column added: stored rows read it as null"))
        else:
            changes.append(Change("column_added", name, None, column.dtype, False, True,
                                  "non-nullable column added: stored rows have no value for it"))
    return changes + _frame_check_changes(old, new) + _info_changes(old, new)


@dataclass
class Diff:
    """The changes between two versions, judged under one mode."""

    source: str
    old_version: str
    new_version: str
    mode: str
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.klass(self.mode) == "breaking"]

    @property
    def bump(self) -> str:
        return bump(self.old_version, self.new_version)

    @property
    def violates_mode(self) -> bool:
        return bool(self.breaking)

    @property
    def allowed(self) -> bool:
        """A breaking change is allowed only with a major version bump."""
        return not self.breaking or self.bump == "major"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "old_version": self.old_version, "new_version": self.new_version,
            "mode": self.mode, "bump": self.bump, "violates_mode": self.violates_mode,
            "changes": [{**asdict(c), "class": c.klass(self.mode)} for c in self.changes],
        }


def diff(old: ContractFacts, new: ContractFacts, mode: str | None = None,
         used_columns: Iterable[str] | None = None) -> Diff:
    """Judged under ``mode``, else the OLD version's mode: the promise made to existing data and
    consumers (loosening the mode and breaking in the same version must not pass)."""
    mode = (mode or old.compatibility).upper()
    if mode not in MODES:
        raise ValueError(f"unknown compatibility mode {mode!r}; use one of {', '.join(MODES)}")
    return Diff(new.name, old.version, new.version, mode, diff_facts(old, new, used_columns))
