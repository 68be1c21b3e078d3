"""Every change class, judged in both directions and under every mode; the judgements are then
checked against what pandera actually accepts."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from featureguard.contracts import get_contract
from featureguard.contracts.compat import MODES, Interval, bump, diff, parse_version, value_interval
from featureguard.contracts.snapshot import facts, snapshot
from tests.contracts.conftest import variant, with_column, with_updated

BASE = get_contract("weather")


def judge(old, new, mode=None, used=None):
    return diff(facts(snapshot(old)), facts(snapshot(new)), mode, used)


def classes(result) -> dict[str, str]:
    return {f"{c.kind}:{c.subject}": c.klass(result.mode) for c in result.changes}


# (description, new contract, expected change kind, subject, backward ok, forward ok)
CASES = [
    ("add nullable column", with_column(BASE, "wind_chill", pa.Column(float, nullable=True), "1.1.0"),
     "column_added", "wind_chill", True, True),
    ("add non-nullable column", with_column(BASE, "wind_chill", pa.Column(float, nullable=False), "1.1.0"),
     "column_added", "wind_chill", False, True),
    ("remove a served column", variant(BASE, "1.1.0", schema=BASE.schema.remove_columns(["wind_gust"])),
     "column_removed", "wind_gust", False, False),
    ("narrow a range", with_updated(BASE, "temp", "1.1.0", checks=[pa.Check.in_range(-40.0, 120.0)]),
     "range_narrowed", "temp", False, True),
    ("widen a range", with_updated(BASE, "temp", "1.1.0", checks=[pa.Check.in_range(-60.0, 130.0)]),
     "range_widened", "temp", True, False),
    ("shift a range", with_updated(BASE, "temp", "1.1.0", checks=[pa.Check.in_range(-50.0, 120.0)]),
     "range_changed", "temp", False, False),
    ("exclusive upper bound", with_updated(BASE, "temp", "1.1.0",
                                           checks=[pa.Check.in_range(-40.0, 130.0, include_max=False)]),
     "range_narrowed", "temp", False, True),
    ("drop a range check", with_updated(BASE, "temp", "1.1.0", checks=[]),
     "range_widened", "temp", True, False),
    ("make non-nullable", with_updated(BASE, "temp", "1.1.0", nullable=False),
     "nullable_tightened", "temp", False, True),
    ("make nullable", with_updated(BASE, "precip", "1.1.0", nullable=True),
     "nullable_relaxed", "precip", True, False),
    ("change a type", with_updated(BASE, "wind_dir", "1.1.0", dtype=int, checks=[pa.Check.in_range(0, 360)]),
     "dtype_changed", "wind_dir", False, False),
    ("remove an allowed value", with_updated(BASE, "origin", "1.1.0", checks=[pa.Check.isin(["EWR", "JFK"])]),
     "allowed_values_narrowed", "origin", False, True),
    ("add an allowed value", with_updated(BASE, "origin", "1.1.0",
                                          checks=[pa.Check.isin(["EWR", "JFK", "LGA", "TEB"])]),
     "allowed_values_widened", "origin", True, False),
    ("add a column check", with_updated(BASE, "wind_speed", "1.1.0",
                                        checks=[pa.Check.in_range(0.0, 150.0), pa.Check.finite()]),
     "check_added", "wind_speed", False, True),
]


def _without_frame_checks():
    import copy

    schema = copy.deepcopy(BASE.schema)
    schema.checks = []
    return variant(BASE, "1.1.0", schema=schema)


def _with_pattern(pattern):
    planes = get_contract("planes")
    return with_updated(planes, "tailnum", "1.1.0", checks=[pa.Check.str_matches(pattern)])


def _with_length(lo, hi):
    planes = get_contract("planes")
    return with_updated(planes, "model", "1.1.0", checks=[pa.Check.str_length(lo, hi)])


CASES += [
    ("remove a frame check", _without_frame_checks(), "frame_check_removed", "(frame)", True, False),
    ("change entity key", variant(BASE, "1.1.0", entity_columns=("origin", "time_hour")),
     "entity_columns_changed", "entity_columns", False, False),
    ("change a pattern", _with_pattern(r"^N[0-9A-Z]{1,6}$"), "pattern_changed", "tailnum", False, False),
    ("shorten max length", _with_length(1, 32), "length_narrowed", "model", False, True),
    ("lengthen max length", _with_length(1, 128), "length_widened", "model", True, False),
]


@pytest.mark.parametrize("what,new,kind,subject,backward,forward", CASES, ids=[c[0] for c in CASES])
def test_change_classes_in_both_directions_and_every_mode(what, new, kind, subject, backward, forward):
    old = get_contract(new.name)
    result = judge(old, new)
    found = [c for c in result.changes if c.kind == kind and c.subject == subject]
    assert len(found) == 1, result.changes
    change = found[0]
    assert (change.backward, change.forward) == (backward, forward), change.reason
    assert change.reason
    expected = {"BACKWARD": backward, "FORWARD": forward, "FULL": backward and forward, "NONE": True}
    for mode in MODES:
        assert change.klass(mode) == ("compatible" if expected[mode] else "breaking"), (mode, change)
    # the reverse change undoes it: narrowing one way is widening the other, and so on
    back = judge(new, old, "FULL")
    reverse = [c for c in back.changes if c.subject == subject and not c.info]
    assert reverse, back.changes
    if kind.endswith(("_narrowed", "_widened", "_tightened", "_relaxed", "_added")) and kind != "column_added":
        assert (reverse[0].backward, reverse[0].forward) == (forward, backward), reverse[0]


def test_a_timestamp_column_change_breaks_every_mode_but_none():
    schema = BASE.schema.add_columns({"observed_at": pa.Column(pd.DatetimeTZDtype("ns", "UTC"), nullable=False)})
    new = variant(BASE, "1.1.0", schema=schema, timestamp_column="observed_at")
    result = judge(BASE, new)
    change = next(c for c in result.changes if c.kind == "timestamp_column_changed")
    assert [change.klass(m) for m in MODES] == ["breaking", "breaking", "breaking", "compatible"]


def test_removing_a_column_no_view_reads_is_backward_compatible():
    new = variant(BASE, "1.1.0", schema=BASE.schema.remove_columns(["wind_gust"]))
    used = [c for c in BASE.feature_columns if c != "wind_gust"]
    change = next(c for c in judge(BASE, new, used=used).changes if c.kind == "column_removed")
    assert (change.backward, change.forward) == (True, True)  # nullable: old consumers read null
    required = variant(BASE, "1.1.0", schema=BASE.schema.remove_columns(["precip"]))
    change = next(c for c in judge(BASE, required, used=[]).changes if c.kind == "column_removed")
    assert (change.klass("BACKWARD"), change.klass("FORWARD")) == ("compatible", "breaking")


def test_metadata_changes_are_info_and_never_break():
    new = variant(BASE, "1.0.1", owner="someone-else@example.com", description="new words",
                  max_age=timedelta(hours=1), compatibility="FULL")
    result = judge(BASE, new)
    assert {c.kind for c in result.changes} == {"owner_changed", "description_changed", "max_age_seconds_changed",
                                                 "compatibility_changed"}
    assert all(c.klass(m) == "info" for c in result.changes for m in MODES)
    assert not result.violates_mode and result.bump == "patch"


def test_no_change_is_no_change():
    assert judge(BASE, BASE).changes == []
    for source in ("planes", "route_delays"):
        assert judge(get_contract(source), get_contract(source)).changes == []


def test_the_old_versions_mode_judges_unless_overridden():
    narrowed = with_updated(BASE, "temp", "1.1.0", checks=[pa.Check.in_range(-40.0, 120.0)])
    loosened = variant(narrowed, compatibility="NONE")
    assert judge(BASE, loosened).mode == "BACKWARD" and judge(BASE, loosened).violates_mode
    assert not judge(BASE, loosened, "NONE").violates_mode
    forward_only = variant(BASE, compatibility="FORWARD")
    assert not judge(forward_only, narrowed).violates_mode


def test_a_breaking_change_is_allowed_only_with_a_major_bump():
    narrowed = with_updated(BASE, "temp", "1.1.0", checks=[pa.Check.in_range(-40.0, 120.0)])
    assert not judge(BASE, narrowed).allowed
    assert judge(BASE, variant(narrowed, "2.0.0")).allowed


def test_versions():
    assert parse_version("1.2") == (1, 2, 0) and parse_version("2.0.0-rc.1") == (2, 0, 0)
    assert [bump("1.0.0", v) for v in ("2.0.0", "1.1.0", "1.0.1", "1.0.0", "0.9.0")] == \
        ["major", "minor", "patch", "none", "downgrade"]
    with pytest.raises(ValueError):
        parse_version("one")


# ------------------------------------------------------------------ judgements vs pandera

_bound = st.one_of(st.none(), st.integers(-5, 5).map(float))


@st.composite
def range_checks(draw):
    lo, hi = draw(_bound), draw(_bound)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    inc_lo, inc_hi = draw(st.booleans()), draw(st.booleans())
    if lo is not None and lo == hi:
        inc_lo = inc_hi = True  # pandera refuses an empty interval
    if lo is None and hi is None:
        return []
    if lo is None:
        return [pa.Check.le(hi) if inc_hi else pa.Check.lt(hi)]
    if hi is None:
        return [pa.Check.ge(lo) if inc_lo else pa.Check.gt(lo)]
    return [pa.Check.in_range(lo, hi, include_min=inc_lo, include_max=inc_hi)]


PROBES = pd.DataFrame({"x": np.arange(-6.0, 6.01, 0.5)})


def _accepted(checks) -> set[float]:
    schema = pa.DataFrameSchema({"x": pa.Column(float, checks, nullable=True)})
    try:
        schema.validate(PROBES, lazy=True)
        return set(PROBES["x"])
    except pa.errors.SchemaErrors as errors:
        return set(PROBES["x"]) - set(errors.failure_cases["failure_case"].astype(float))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=range_checks(), new=range_checks())
def test_range_judgements_match_what_pandera_accepts(old, new):
    """backward ok <=> every probe value the old checks accept, the new ones accept too (and vice versa)."""
    a = with_updated(BASE, "temp", "1.0.0", checks=old)
    b = with_updated(BASE, "temp", "1.1.0", checks=new)
    result = judge(a, b)
    ranged = [c for c in result.changes if c.subject == "temp"]
    accepted_old, accepted_new = _accepted(old), _accepted(new)
    backward = all(c.backward for c in ranged)
    forward = all(c.forward for c in ranged)
    assert backward == (accepted_old <= accepted_new), (ranged, accepted_old - accepted_new)
    assert forward == (accepted_new <= accepted_old), (ranged, accepted_new - accepted_old)


def test_value_interval_combines_bounds():
    interval = value_interval({"greater_than": {"min_value": 0}, "less_than_or_equal_to": {"max_value": 5},
                               "in_range": {"min_value": -1, "max_value": 3, "include_min": True,
                                            "include_max": False}})
    assert interval == Interval(0, False, 3, False)
    assert Interval().contains(interval) and not interval.contains(Interval())
